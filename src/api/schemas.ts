import { z } from 'zod';
import { InvalidInputError } from '../core/errors.ts';
import { IndexMediaTypeChoices, OnDriftChoices, OnStaleChoices } from '../core/repository-config.ts';
import { TAG_SYNTAX } from '../core/tag-pattern.ts';
import { VersionStates } from '../core/version-record.ts';

/** OCI / ECR repository name grammar (path components separated by '/'). */
export const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export const repositoryNameSchema = z
  .string()
  .min(2, 'a repository name has 2 to 256 characters')
  .max(256, 'a repository name has 2 to 256 characters')
  .regex(REPOSITORY_NAME, 'a repository name is lower-case path components ([a-z0-9] separated by ., _, __ or -) joined by /');

export const versionSchema = z.string().regex(TAG_SYNTAX, 'a version must be a valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');

/** The body of PUT …/config (DESIGN §3): unknown fields are refused. */
export const repositoryConfigBodySchema = z.strictObject({
  requiredPlatforms: z.array(z.string().max(128)).min(1, 'name at least one platform').max(64),
  optionalPlatforms: z.array(z.string().max(128)).max(64).optional(),
  tagPattern: z.string().min(1).max(512).optional(),
  targetTags: z.array(z.string().min(1).max(128)).min(1).max(16).optional(),
  indexMediaType: z.enum([IndexMediaTypeChoices.auto, IndexMediaTypeChoices.oci, IndexMediaTypeChoices.docker]).optional(),
  platformOverrides: z.record(z.string().min(1).max(128), z.string().max(128)).optional(),
  staleAfter: z.string().max(16).nullable().optional(),
  onStale: z.enum([OnStaleChoices.wait, OnStaleChoices.publishPartial]).optional(),
  onDrift: z.enum([OnDriftChoices.report, OnDriftChoices.restore]).optional(),
});

export const publishBodySchema = z.strictObject({ allowPartial: z.boolean().optional() });

export const listVersionsQuerySchema = z.strictObject({
  state: z.enum(Object.values(VersionStates) as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).max(2048).optional(),
});

/** Validates with a schema; the error names the first offending field (`body.requiredPlatforms[1]: …`). */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
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

export const reconcileBodySchema = z.strictObject({ cursor: z.string().min(1).max(4096).nullable().optional() });

export const backfillBodySchema = z.strictObject({
  dryRun: z.boolean().optional(),
  cursor: z.string().min(1).max(4096).nullable().optional(),
});
