// The bodies the API answers with, as zod/mini schemas: the OpenAPI document is generated from them
// (beside the request schemas in schemas.ts), and the tests check every handler answer against them.
// Strict objects, so a field added to an answer but not here fails those tests; the document itself
// lets answers grow (clients must ignore fields they do not know).
import * as z from 'zod/mini';
import { IndexMediaTypeChoices, OnDriftChoices, OnStaleChoices, TagMutabilityChoices } from '../core/repository-config.ts';
import { HistoryKinds } from '../core/version-history.ts';
import { VersionStates } from '../core/version-record.ts';

const strings = z.array(z.string());
const cursor = z.nullable(z.string());
const count = z.int().check(z.minimum(0));

export const healthResponseSchema = z.strictObject({ status: z.literal('ok') });

/** A repository's config as stored: normalised, every field present. */
export const repositoryConfigResponseSchema = z.strictObject({
  requiredPlatforms: strings,
  optionalPlatforms: strings,
  tagPattern: z.string(),
  targetTags: strings,
  indexMediaType: z.enum([IndexMediaTypeChoices.auto, IndexMediaTypeChoices.oci, IndexMediaTypeChoices.docker]),
  platformOverrides: z.record(z.string(), z.string()),
  staleAfter: z.nullable(z.string()),
  onStale: z.enum([OnStaleChoices.wait, OnStaleChoices.publishPartial]),
  onDrift: z.enum([OnDriftChoices.report, OnDriftChoices.restore]),
  /** Index annotations the config adds (OCI annotation keys). */
  annotations: z.optional(z.record(z.string(), z.string())),
  /** `immutable`: each version is published once (an ECR repository with immutable tags); absent: mutable. */
  tagMutability: z.optional(z.enum([TagMutabilityChoices.mutable, TagMutabilityChoices.immutable])),
});

export const repositoryListResponseSchema = z.strictObject({
  repositories: z.array(z.strictObject({ repository: z.string(), config: repositoryConfigResponseSchema })),
});

const versionImage = z.strictObject({
  platform: z.string(),
  digest: z.string(),
  mediaType: z.string(),
  size: count,
  /** The per-arch tag the image came from. */
  tag: z.string(),
  pushedAt: z.string(),
});

const publishedIndex = z.strictObject({
  digest: z.string(),
  mediaType: z.string(),
  tags: strings,
  at: z.string(),
  /** Published while required platforms were missing (they are in missingPlatforms). */
  partial: z.boolean(),
  /** Tags a known tool rewrote on top of this index (a SOCI index, a signature), with what holds each; absent when none. */
  heldBy: z.optional(z.array(z.strictObject({ tag: z.string(), digest: z.string(), note: z.string() }))),
});

/** Everything known about one version. */
export const versionStatusResponseSchema = z.strictObject({
  repository: z.string(),
  version: z.string(),
  state: z.enum(VersionStates),
  requiredPlatforms: strings,
  missingPlatforms: strings,
  images: z.array(versionImage),
  published: z.nullable(publishedIndex),
  error: z.nullable(z.string()),
  updatedAt: z.string(),
  /** The target tags that point at this version now. */
  tags: z.optional(strings),
  /** Plain sentences about the version worth knowing (a floating tag it did not move, and why). */
  notes: z.optional(strings),
  /** Pushes refused for this version, with the reason. */
  rejected: z.optional(z.array(z.strictObject({ tag: z.string(), digest: z.string(), reason: z.string(), at: z.string() }))),
});

/** One entry of a version's history; fields beyond id, kind, at and sequence depend on the kind. */
const historyEntry = z.strictObject({
  id: z.string(),
  kind: z.enum(HistoryKinds),
  at: z.string(),
  sequence: count,
  platform: z.optional(z.string()),
  tag: z.optional(z.string()),
  digest: z.optional(z.string()),
  eventId: z.optional(z.string()),
  tags: z.optional(strings),
  revision: z.optional(count),
  reason: z.optional(z.string()),
  missingPlatforms: z.optional(strings),
  actual: z.optional(z.nullable(z.string())),
  action: z.optional(z.string()),
});

/** `GET …/versions/{version}/history`: the entries kept (the last 100), oldest first, and how many were ever appended. */
export const versionHistoryResponseSchema = z.strictObject({
  repository: z.string(),
  version: z.string(),
  sequence: count,
  entries: z.array(historyEntry),
});

export const versionPageResponseSchema = z.strictObject({ versions: z.array(versionStatusResponseSchema), cursor });

const failures = z.array(z.strictObject({ what: z.string(), error: z.string() }));

/** One reconcile run over (part of) a repository. */
export const reconcileReportResponseSchema = z.strictObject({
  repository: z.string(),
  tagsScanned: count,
  pushesRecovered: strings,
  versionsChecked: count,
  published: strings,
  publishedPartially: strings,
  stale: strings,
  drift: z.array(
    z.strictObject({
      version: z.string(),
      tag: z.string(),
      expected: z.string(),
      actual: z.nullable(z.string()),
      action: z.enum(['reported', 'restored']),
    }),
  ),
  /** Floating tags put back where their pointer says (a publisher died between its puts). */
  floatingRepaired: strings,
  conflicts: z.array(z.strictObject({ tag: z.string(), message: z.string() })),
  failures,
  cursor,
});

export const reconcileReportsResponseSchema = z.strictObject({ reports: z.array(reconcileReportResponseSchema) });

/** `backfill` (no dryRun, no republish): the reconcile runs made, and where to go on. */
export const backfillRunResponseSchema = z.strictObject({ reports: z.array(reconcileReportResponseSchema), cursor });

/** `backfill` with dryRun: what a backfill would do; nothing written. */
export const backfillPlanResponseSchema = z.strictObject({
  repository: z.string(),
  tagsScanned: count,
  versions: z.array(
    z.strictObject({
      version: z.string(),
      platforms: strings,
      missingPlatforms: strings,
      tags: strings,
      action: z.enum(['publish', 'wait', 'conflict']),
    }),
  ),
  problems: z.array(z.strictObject({ tag: z.string(), error: z.string() })),
});

/** `backfill` with republish: the current config re-applied to a page of versions (or, with dryRun, planned). */
export const republishReportResponseSchema = z.strictObject({
  repository: z.string(),
  dryRun: z.boolean(),
  versionsChecked: count,
  changed: z.array(
    z.strictObject({
      version: z.string(),
      from: z.nullable(z.string()),
      to: z.nullable(z.string()),
      platformsAdded: strings,
      platformsRemoved: strings,
      movedTags: strings,
    }),
  ),
  unchanged: count,
  waiting: z.array(z.strictObject({ version: z.string(), missingPlatforms: strings })),
  conflicts: z.array(z.strictObject({ version: z.string(), message: z.string() })),
  failures,
  cursor,
});

/** RFC 9457 problem details; `code` and `field` (the bad input) when known, other members by error. */
export const problemDetailsSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  code: z.optional(z.string()),
  field: z.optional(z.string()),
});

/** A type readonly at every depth: what a route may return for an answer (core's views are readonly). */
export type DeepReadonly<T> =
  T extends ReadonlyArray<infer U>
    ? ReadonlyArray<DeepReadonly<U>>
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

// The answers as TypeScript types, inferred from the schemas above: what each route returns (the
// compiler checks it against the schema) and what a client such as the CLI reads.
export type HealthResponse = z.output<typeof healthResponseSchema>;
export type RepositoryConfigResponse = z.output<typeof repositoryConfigResponseSchema>;
export type RepositoryListResponse = z.output<typeof repositoryListResponseSchema>;
export type VersionStatusResponse = z.output<typeof versionStatusResponseSchema>;
export type VersionHistoryResponse = z.output<typeof versionHistoryResponseSchema>;
export type VersionPageResponse = z.output<typeof versionPageResponseSchema>;
export type ReconcileReportResponse = z.output<typeof reconcileReportResponseSchema>;
export type ReconcileReportsResponse = z.output<typeof reconcileReportsResponseSchema>;
export type BackfillRunResponse = z.output<typeof backfillRunResponseSchema>;
export type BackfillPlanResponse = z.output<typeof backfillPlanResponseSchema>;
export type RepublishReportResponse = z.output<typeof republishReportResponseSchema>;
/** What `POST …/backfill` answers, by its flags (see the three types). */
export type BackfillResponse = BackfillRunResponse | BackfillPlanResponse | RepublishReportResponse;
export type ProblemDetails = z.output<typeof problemDetailsSchema>;
