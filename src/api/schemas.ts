// zod/mini: the same validation as zod with a tree-shakable API; full zod was 39% of each Lambda
// bundle. The English messages are loaded explicitly (mini ships none by default).
import * as z from 'zod/mini';
import './zod-locale.ts';
import { AnnotationLimits, annotationKeyProblem } from '../core/annotations.ts';
import { InvalidInputError } from '../core/errors.ts';
import { isPlainRecord, refusedMapKeyReason } from '../core/map-keys.ts';
import { IndexMediaTypeChoices, OnDriftChoices, OnStaleChoices, TagMutabilityChoices } from '../core/repository-config.ts';
import { repositoryNameProblem } from '../core/repository-name.ts';
import { TAG_SYNTAX, VERSION_SYNTAX_MESSAGE } from '../core/tag-pattern.ts';
import { VersionStates } from '../core/version-record.ts';

/**
 * A repository name in the one grammar of src/core/repository-name.ts; the message says what is wrong.
 * The routes check path parameters with checkRepositoryName itself, so a read needs no zod.
 */
export const repositoryNameSchema = z.pipe(
  z.string(),
  z.transform((text, ctx) => {
    const problem = repositoryNameProblem(text);
    if (problem === undefined) return text;
    ctx.issues.push({ code: 'custom', message: problem, input: text });
    return z.NEVER;
  }),
);

/** A version, as in a path; the routes check it with checkVersion (core), which says the same, without zod. */
export const versionSchema = z.string().check(z.regex(TAG_SYNTAX, VERSION_SYNTAX_MESSAGE));

const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

/**
 * A map of annotation keys to strings. Not a `z.record`: zod drops an own `__proto__` key without a
 * word and refuses any object with a `constructor` key, so the keys are checked on the raw input
 * first (and `__proto__` is refused by name); the object then only has to hold bounded strings.
 */
export const annotationsSchema = z.pipe(
  z.transform((input: unknown, ctx) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    const keys = Object.keys(input);
    if (keys.length > AnnotationLimits.entries) {
      ctx.issues.push({ code: 'custom', message: `at most ${AnnotationLimits.entries} annotations (got ${keys.length})`, input });
    }
    for (const key of keys) {
      const problem = annotationKeyProblem(key);
      if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input, path: [key] });
    }
    return input;
  }),
  z.catchall(z.object({}), text(0, AnnotationLimits.valueLength)),
);

/**
 * A string → value map from a user (JSON body, stored config), safe for any key: zod's own
 * `z.record` refuses an object with a `constructor` key ("expected record") and drops `__proto__`
 * silently. Here `constructor`, `toString`… are ordinary keys and `__proto__` is refused, naming it.
 * The result is a fresh plain object holding only own keys, in the order given.
 */
export function safeRecordSchema<V>(key: z.ZodMiniType<string, string>, value: z.ZodMiniType<V, unknown>) {
  return z.pipe(
    z.unknown(),
    z.transform((input, ctx): Record<string, V> => {
      if (!isPlainRecord(input)) {
        ctx.issues.push({ code: 'invalid_type', expected: 'record', input, message: 'expected an object of key → value' });
        return z.NEVER;
      }
      const output: Record<string, V> = {};
      for (const name of Object.keys(input)) {
        const refused = refusedMapKeyReason(name);
        if (refused !== undefined) {
          ctx.issues.push({ code: 'custom', message: refused, input: name, path: [name] });
          continue;
        }
        const keyResult = key.safeParse(name);
        if (!keyResult.success) {
          for (const issue of keyResult.error.issues)
            ctx.issues.push({ code: 'custom', message: issue.message, input: name, path: [name, ...issue.path] });
          continue;
        }
        const valueResult = value.safeParse(input[name]);
        if (!valueResult.success) {
          for (const issue of valueResult.error.issues)
            ctx.issues.push({ code: 'custom', message: issue.message, input: input[name], path: [name, ...issue.path] });
          continue;
        }
        output[name] = valueResult.data;
      }
      return output;
    }),
  );
}

/** The body of PUT …/config (docs/configuration.md): unknown fields are refused. */
export const repositoryConfigBodySchema = z.strictObject({
  requiredPlatforms: z.array(text(0, 128)).check(z.minLength(1, 'name at least one platform'), z.maxLength(64)),
  optionalPlatforms: z.optional(z.array(text(0, 128)).check(z.maxLength(64))),
  tagPattern: z.optional(text(1, 512)),
  targetTags: z.optional(z.array(text(1, 128)).check(z.minLength(1), z.maxLength(16))),
  indexMediaType: z.optional(z.enum([IndexMediaTypeChoices.auto, IndexMediaTypeChoices.oci, IndexMediaTypeChoices.docker])),
  platformOverrides: z.optional(safeRecordSchema(text(1, 128), text(0, 128))),
  staleAfter: z.optional(z.nullable(text(0, 16))),
  onStale: z.optional(z.enum([OnStaleChoices.wait, OnStaleChoices.publishPartial])),
  onDrift: z.optional(z.enum([OnDriftChoices.report, OnDriftChoices.restore])),
  annotations: z.optional(annotationsSchema),
  tagMutability: z.optional(z.enum([TagMutabilityChoices.mutable, TagMutabilityChoices.immutable])),
});

export const publishBodySchema = z.strictObject({ allowPartial: z.optional(z.boolean()) });

export const listVersionsQuerySchema = z.strictObject({
  state: z.optional(z.enum(Object.values(VersionStates) as [string, ...string[]])),
  limit: z.optional(z.pipe(z.coerce.number(), z.int().check(z.minimum(1), z.maximum(100)))),
  cursor: z.optional(text(1, 2048)),
});

/** Validates with a schema; the error names the first offending field (`body.requiredPlatforms[1]: …`). */
export function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
  const path = formatPath([...(issue?.path ?? []), ...keys.slice(0, 1)]);
  const field = path === '' ? where : `${where}${path.startsWith('[') ? '' : '.'}${path}`;
  const message = keys.length > 0 ? 'is not a known field' : (issue?.message ?? 'invalid');
  throw new InvalidInputError(`${field}: ${message}`, field);
}

/**
 * Runs a core call on input that came from `where` (the body): an {@link InvalidInputError} it throws
 * names the field there (`tagPattern` → `body.tagPattern`), as {@link parseWith} does.
 */
export async function inField<T>(where: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InvalidInputError && error.field !== undefined)
      throw new InvalidInputError(`${where}.${error.message}`, `${where}.${error.field}`);
    throw error;
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      // A map key such as a platformOverrides key may be empty or hold dots: quoted, so the path stays readable.
      if (!/^[A-Za-z_$][\w$-]*$/.test(String(p))) return `[${JSON.stringify(String(p))}]`;
      return i === 0 ? String(p) : `.${String(p)}`;
    })
    .join('');
}

/** POST /v1/reconcile takes no parameters; a body, if any, must be empty so a typo is not silently ignored. */
export const reconcileAllBodySchema = z.strictObject({});

export const reconcileBodySchema = z.strictObject({ cursor: z.optional(z.nullable(text(1, 4096))) });

export const backfillBodySchema = z.strictObject({
  dryRun: z.optional(z.boolean()),
  /** Re-apply the current config to every version already recorded, instead of reading the registry's tags. */
  republish: z.optional(z.boolean()),
  cursor: z.optional(z.nullable(text(1, 4096))),
});
