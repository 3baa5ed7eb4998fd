import { z } from 'zod';
import * as zm from 'zod/mini';
import { safeRecordSchema } from '../api/schemas.ts';
import { VersionStates } from '../core/version-record.ts';

/**
 * The bodies the HTTP API answers with (docs/api.md), checked at the CLI's edge. Lenient where the
 * contract allows growth: unknown keys are kept, so `--json` prints what the API said.
 */

/** A repository's config as the API stores it (docs/configuration.md). */
export const RepositoryConfigBody = z.looseObject({
  requiredPlatforms: z.array(z.string()),
  optionalPlatforms: z.array(z.string()).default([]),
  tagPattern: z.string(),
  targetTags: z.array(z.string()),
  indexMediaType: z.string(),
  // Not z.record: it refuses a map with a `constructor` key, which is a legal override value.
  platformOverrides: z.optional(safeRecordSchema(zm.string(), zm.string())).transform((overrides) => overrides ?? {}),
});
export type RepositoryConfigBody = z.infer<typeof RepositoryConfigBody>;

export const RepositoryList = z.looseObject({
  repositories: z.array(z.looseObject({ repository: z.string(), config: RepositoryConfigBody })),
});
export type RepositoryList = z.infer<typeof RepositoryList>;

export const VersionImage = z.looseObject({
  platform: z.string(),
  digest: z.string(),
  mediaType: z.string().optional(),
  size: z.number().optional(),
  tag: z.string().optional(),
  pushedAt: z.string().optional(),
});
export type VersionImage = z.infer<typeof VersionImage>;

export const PublishedBody = z.looseObject({
  digest: z.string(),
  mediaType: z.string().optional(),
  tags: z.array(z.string()).default([]),
  at: z.string().optional(),
  /** Published while required platforms were missing (allowPartial, or onStale publish-partial). */
  partial: z.boolean().default(false),
  /** Tags another tool rewrote on top of the index (SOCI, a signature), each with a note saying what holds it. */
  heldBy: z.array(z.looseObject({ tag: z.string(), digest: z.string(), note: z.string() })).optional(),
});

/** The API's view of one version (VersionStatus in docs/api.md). */
export const VersionStatus = z.looseObject({
  repository: z.string(),
  version: z.string(),
  state: z.enum(VersionStates),
  requiredPlatforms: z.array(z.string()).default([]),
  missingPlatforms: z.array(z.string()).default([]),
  images: z.array(VersionImage).default([]),
  published: PublishedBody.nullable().default(null),
  /** The tags that point at this version now: exact ones, then floating ones (`latest`, `2.7`). */
  // Optional, not defaulted: `--json` prints what the API said, and an older API sends neither.
  tags: z.array(z.string()).optional(),
  /** Plain sentences: why a floating tag does not follow this version. */
  notes: z.array(z.string()).optional(),
  // The contract shows `error` as null or text; an object with a message is read too.
  error: z
    .union([z.string(), z.looseObject({ message: z.string() }).transform((e) => e.message)])
    .nullable()
    .default(null),
  /** Refused per-arch pushes (bad content), by tag; absent from an older API. */
  rejected: z.array(z.looseObject({ tag: z.string(), digest: z.string(), reason: z.string(), at: z.string().optional() })).default([]),
  updatedAt: z.string().optional(),
});
export type VersionStatus = z.infer<typeof VersionStatus>;

export const VersionPage = z.looseObject({
  versions: z.array(VersionStatus),
  cursor: z.string().nullable().default(null),
});
export type VersionPage = z.infer<typeof VersionPage>;

/** RFC 9457 problem details; every member optional, as the RFC has it. */
export const Problem = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().optional(),
  detail: z.string().optional(),
});
export type Problem = z.infer<typeof Problem>;

/** A version tag that points somewhere other than the index the service published. */
export const DriftFinding = z.looseObject({
  version: z.string(),
  tag: z.string(),
  expected: z.string(),
  /** Null when the tag no longer exists. */
  actual: z.string().nullable(),
  /** `reported` (the version is marked conflict) or `restored` (the tag points at the index again); text, so a new action still prints. */
  action: z.string(),
});
export type DriftFinding = z.infer<typeof DriftFinding>;

/** One reconcile run over (part of) a repository: what it repaired and found. */
export const ReconcileReport = z.looseObject({
  repository: z.string(),
  tagsScanned: z.number().default(0),
  pushesRecovered: z.array(z.string()).default([]),
  versionsChecked: z.number().default(0),
  published: z.array(z.string()).default([]),
  publishedPartially: z.array(z.string()).default([]),
  stale: z.array(z.string()).default([]),
  drift: z.array(DriftFinding).default([]),
  /** Floating tags (`latest`, `2.7`) put back on (or moved forward to) the version their pointer names. */
  floatingRepaired: z.array(z.string()).default([]),
  conflicts: z.array(z.looseObject({ tag: z.string(), message: z.string() })).default([]),
  failures: z.array(z.looseObject({ what: z.string(), error: z.string() })).default([]),
  /** Where the next run goes on; null when this run reached the end of the repository. */
  cursor: z.string().nullable().default(null),
});
export type ReconcileReport = z.infer<typeof ReconcileReport>;

/** `POST /v1/reconcile`: one pass over every configured repository. */
export const ReconcileReports = z.looseObject({ reports: z.array(ReconcileReport) });
export type ReconcileReports = z.infer<typeof ReconcileReports>;

/** A backfill run: several reconcile runs, and where the next request goes on (null when done). */
export const BackfillRun = z.looseObject({
  reports: z.array(ReconcileReport),
  cursor: z.string().nullable().default(null),
});
export type BackfillRun = z.infer<typeof BackfillRun>;

/** One version a dry-run backfill found in the registry's per-arch tags. */
export const BackfillPlanEntry = z.looseObject({
  version: z.string(),
  platforms: z.array(z.string()).default([]),
  missingPlatforms: z.array(z.string()).default([]),
  tags: z.array(z.string()).default([]),
  /** `publish`, `wait`, or `conflict` (two tags claim one platform); text, so a new action still prints. */
  action: z.string(),
});
export type BackfillPlanEntry = z.infer<typeof BackfillPlanEntry>;

/** What a backfill would do, written nowhere (`dryRun: true`). */
export const BackfillPlan = z.looseObject({
  repository: z.string(),
  tagsScanned: z.number().default(0),
  versions: z.array(BackfillPlanEntry),
  problems: z.array(z.looseObject({ tag: z.string(), error: z.string() })).default([]),
});
export type BackfillPlan = z.infer<typeof BackfillPlan>;

/** What re-applying the config did (or, in a dry run, would do) to one version. */
export const ReapplyChange = z.looseObject({
  version: z.string(),
  /** The index published before; null when the version had never been published. */
  from: z.string().nullable(),
  /** The index after; null in a dry run when moved per-arch tags must be read first. */
  to: z.string().nullable(),
  platformsAdded: z.array(z.string()).default([]),
  platformsRemoved: z.array(z.string()).default([]),
  movedTags: z.array(z.string()).default([]),
});
export type ReapplyChange = z.infer<typeof ReapplyChange>;

/** `POST …/backfill` with `republish: true`: one page of versions with the current config re-applied. */
export const RepublishReport = z.looseObject({
  repository: z.string(),
  dryRun: z.boolean().default(false),
  versionsChecked: z.number().default(0),
  changed: z.array(ReapplyChange).default([]),
  unchanged: z.number().default(0),
  waiting: z.array(z.looseObject({ version: z.string(), missingPlatforms: z.array(z.string()).default([]) })).default([]),
  conflicts: z.array(z.looseObject({ version: z.string(), message: z.string() })).default([]),
  failures: z.array(z.looseObject({ what: z.string(), error: z.string() })).default([]),
  cursor: z.string().nullable().default(null),
});
export type RepublishReport = z.infer<typeof RepublishReport>;
/** One entry of a version's history: what happened, when; the other fields depend on `kind`. */
export const HistoryEntryBody = z.looseObject({
  kind: z.string(),
  at: z.string(),
  sequence: z.number().optional(),
  platform: z.string().optional(),
  tag: z.string().optional(),
  digest: z.string().optional(),
  eventId: z.string().optional(),
  tags: z.array(z.string()).optional(),
  revision: z.number().optional(),
  reason: z.string().optional(),
  missingPlatforms: z.array(z.string()).optional(),
  actual: z.string().nullable().optional(),
  action: z.string().optional(),
});
export type HistoryEntryBody = z.infer<typeof HistoryEntryBody>;

/** `GET …/versions/{version}/history`. */
export const VersionHistoryBody = z.looseObject({ sequence: z.number(), entries: z.array(HistoryEntryBody) });
export type VersionHistoryBody = z.infer<typeof VersionHistoryBody>;
