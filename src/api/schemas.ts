// zod/mini: the same validation as zod with a tree-shakable API; full zod was 39% of each Lambda
// bundle. The English messages are loaded explicitly (mini ships none by default).
import * as z from 'zod/mini';
import './zod-locale.ts';
import { InvalidInputError } from '../core/errors.ts';
import { IndexMediaTypeChoices, OnDriftChoices, OnStaleChoices, TagMutabilityChoices } from '../core/repository-config.ts';
import { TAG_SYNTAX } from '../core/tag-pattern.ts';
import { VersionStates } from '../core/version-record.ts';

/** OCI / ECR repository name grammar (path components separated by '/'). */
export const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export const repositoryNameSchema = z.string().check(
  z.minLength(2, 'a repository name has 2 to 256 characters'),
  z.maxLength(256, 'a repository name has 2 to 256 characters'),
  z.regex(REPOSITORY_NAME, 'a repository name is lower-case path components ([a-z0-9] separated by ., _, __ or -) joined by /'),
);

export const versionSchema = z.string().check(z.regex(TAG_SYNTAX, 'a version must be a valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'));

const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

/** The body of PUT …/config (DESIGN §3): unknown fields are refused. */
export const repositoryConfigBodySchema = z.strictObject({
  requiredPlatforms: z.array(text(0, 128)).check(z.minLength(1, 'name at least one platform'), z.maxLength(64)),
  optionalPlatforms: z.optional(z.array(text(0, 128)).check(z.maxLength(64))),
  tagPattern: z.optional(text(1, 512)),
  targetTags: z.optional(z.array(text(1, 128)).check(z.minLength(1), z.maxLength(16))),
  indexMediaType: z.optional(z.enum([IndexMediaTypeChoices.auto, IndexMediaTypeChoices.oci, IndexMediaTypeChoices.docker])),
  platformOverrides: z.optional(z.record(text(1, 128), text(0, 128))),
  staleAfter: z.optional(z.nullable(text(0, 16))),
  onStale: z.optional(z.enum([OnStaleChoices.wait, OnStaleChoices.publishPartial])),
  onDrift: z.optional(z.enum([OnDriftChoices.report, OnDriftChoices.restore])),
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
  cursor: z.optional(z.nullable(text(1, 4096))),
});
