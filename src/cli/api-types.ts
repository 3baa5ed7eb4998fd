import * as z from 'zod/mini';
// One locale by path (as src/api does): the messages say what was expected, not just "Invalid input".
import en from 'zod/v4/locales/en.js';
import {
  backfillPlanResponseSchema,
  backfillRunResponseSchema,
  type problemDetailsSchema,
  reconcileReportResponseSchema,
  reconcileReportsResponseSchema,
  repositoryConfigResponseSchema,
  repositoryListResponseSchema,
  republishReportResponseSchema,
  versionHistoryResponseSchema,
  versionPageResponseSchema,
  versionStatusResponseSchema,
} from '../api/response-schemas.ts';
import { isPlainRecord, refusedMapKeyReason } from '../core/map-keys.ts';

/**
 * The API's answers as the CLI reads them: the server's own response schemas
 * (src/api/response-schemas.ts, the ones its OpenAPI document and its tests use), read leniently so
 * that a CLI keeps working against an API a release newer or older than itself:
 *
 * - unknown keys are kept, at every depth (a newer API's fields; `--json` prints them);
 * - a value of a fixed set is read as text (a newer API's drift action or history kind still prints);
 * - an absent list reads as [], an absent nullable as null, an absent flag as false, an absent map
 *   as {} and an absent count as 0 (fields an older API did not send); optional fields stay optional;
 * - a map may have any key but `__proto__` (zod's `z.record` refuses a `constructor` key).
 *
 * Three fields go further, each said where it is read: a version's `rejected` is [] when absent,
 * its `error` may be an object with a message, and its `updatedAt` may be absent.
 */

z.config(en());

/** A server type as the rules above read it: every string literal widened to text. */
export type Lenient<T> = T extends string
  ? string
  : T extends readonly (infer U)[]
    ? Lenient<U>[]
    : T extends object
      ? { [K in keyof T]: Lenient<T[K]> }
      : T;

type Reader<T> = z.ZodMiniType<T, unknown>;

// The zod/mini definitions the reading rules look at (zod's `_zod.def`, by its `type`).
type Def =
  | { type: 'object'; shape: Record<string, z.ZodMiniType> }
  | { type: 'array'; element: z.ZodMiniType }
  | { type: 'nullable' | 'optional'; innerType: z.ZodMiniType }
  | { type: 'record'; valueType: z.ZodMiniType }
  | { type: 'enum' | 'literal' | 'boolean' | 'number' | 'string' };

function definition(schema: z.ZodMiniType): Def {
  return schema._zod.def as unknown as Def;
}

/** The server's schema read by the rules above (the value it answers with; absent fields are {@link readField}'s). */
function read(schema: z.ZodMiniType): z.ZodMiniType {
  const def = definition(schema);
  switch (def.type) {
    case 'object':
      return z.looseObject(Object.fromEntries(Object.entries(def.shape).map(([key, field]) => [key, readField(field)])));
    case 'array':
      return z.array(read(def.element));
    case 'nullable':
      return z.nullable(read(def.innerType));
    case 'optional':
      return z.optional(read(def.innerType));
    case 'record':
      return safeRecord(read(def.valueType));
    case 'enum':
    case 'literal':
      return z.string();
    default:
      return schema;
  }
}

/** A field of an object: absent, it reads as its empty value where its type has one. */
function readField(schema: z.ZodMiniType): z.ZodMiniType {
  const type = definition(schema).type;
  const value = read(schema);
  if (type === 'array') return z._default(value, () => []);
  if (type === 'record') return z._default(value, () => ({}));
  if (type === 'nullable') return z._default(value, null);
  if (type === 'boolean') return z._default(value, false);
  if (type === 'number') return z._default(value, 0);
  return value;
}

/** A string → value map with any key but `__proto__`, copied into a fresh object in the order given. */
function safeRecord(value: z.ZodMiniType): z.ZodMiniType {
  return z.pipe(
    z.unknown(),
    z.transform((input, ctx) => {
      if (!isPlainRecord(input)) {
        ctx.issues.push({ code: 'invalid_type', expected: 'record', input, message: 'expected an object of key → value' });
        return z.NEVER;
      }
      const output: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(input)) {
        const refused = refusedMapKeyReason(key);
        const parsed = value.safeParse(item);
        if (refused !== undefined) ctx.issues.push({ code: 'custom', message: refused, input: key, path: [key] });
        else if (!parsed.success)
          ctx.issues.push({
            code: 'custom',
            message: parsed.error.issues.map((issue) => issue.message).join('; '),
            input: item,
            path: [key],
          });
        else output[key] = parsed.data;
      }
      return output;
    }),
  );
}

/** The reader of one of the server's schemas, typed as the server's answer read by the rules above. */
function reader<S extends z.ZodMiniType>(schema: S): Reader<Lenient<z.output<S>>> {
  return read(schema) as Reader<Lenient<z.output<S>>>;
}

/** A repository's config as the API stores it. */
export const RepositoryConfigBody = reader(repositoryConfigResponseSchema);
export type RepositoryConfigBody = z.output<typeof RepositoryConfigBody>;

export const RepositoryList = reader(repositoryListResponseSchema);
export type RepositoryList = z.output<typeof RepositoryList>;

type ServerVersionStatus = Lenient<z.output<typeof versionStatusResponseSchema>>;

/** The API's view of one version. */
export type VersionStatus = Omit<ServerVersionStatus, 'rejected' | 'updatedAt'> & {
  /** Refused per-arch pushes (bad content); an older API sent none. */
  readonly rejected: NonNullable<ServerVersionStatus['rejected']>;
  readonly updatedAt?: string;
};

const versionStatusShape = versionStatusResponseSchema.def.shape;

export const VersionStatus: Reader<VersionStatus> = z.extend(read(versionStatusResponseSchema) as z.ZodMiniObject, {
  rejected: z._default(read(versionStatusShape.rejected.def.innerType), () => []),
  // The contract has `error` as null or text; an object with a message is read too.
  error: z._default(
    z.nullable(
      z.union([
        z.string(),
        z.pipe(
          z.looseObject({ message: z.string() }),
          z.transform((error) => error.message),
        ),
      ]),
    ),
    null,
  ),
  updatedAt: z.optional(z.string()),
}) as unknown as Reader<VersionStatus>;

export type VersionPage = Omit<Lenient<z.output<typeof versionPageResponseSchema>>, 'versions'> & { versions: VersionStatus[] };
export const VersionPage: Reader<VersionPage> = z.extend(read(versionPageResponseSchema) as z.ZodMiniObject, {
  versions: z._default(z.array(VersionStatus), () => []),
}) as unknown as Reader<VersionPage>;

/** One reconcile run over (part of) a repository: what it repaired and found. */
export const ReconcileReport = reader(reconcileReportResponseSchema);
export type ReconcileReport = z.output<typeof ReconcileReport>;

/** `POST /v1/reconcile`: one pass over every configured repository. */
export const ReconcileReports = reader(reconcileReportsResponseSchema);
export type ReconcileReports = z.output<typeof ReconcileReports>;

/** A backfill run: several reconcile runs, and where the next request goes on (null when done). */
export const BackfillRun = reader(backfillRunResponseSchema);
export type BackfillRun = z.output<typeof BackfillRun>;

/** What a backfill would do, written nowhere (`dryRun: true`). */
export const BackfillPlan = reader(backfillPlanResponseSchema);
export type BackfillPlan = z.output<typeof BackfillPlan>;

/** `POST …/backfill` with `republish: true`: one page of versions with the current config re-applied. */
export const RepublishReport = reader(republishReportResponseSchema);
export type RepublishReport = z.output<typeof RepublishReport>;

/** `GET …/versions/{version}/history`. */
export const VersionHistoryBody = reader(versionHistoryResponseSchema);
export type VersionHistoryBody = z.output<typeof VersionHistoryBody>;
export type HistoryEntryBody = VersionHistoryBody['entries'][number];

/** RFC 9457 problem details as the CLI reads them (member by member, in api-error.ts): every member optional, as the RFC has it. */
export type Problem = Partial<Pick<z.output<typeof problemDetailsSchema>, 'type' | 'title' | 'status' | 'detail'>>;
