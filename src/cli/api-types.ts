import { z } from 'zod';
import { VersionStates } from '../core/version-record.ts';

/**
 * The bodies the HTTP API answers with (DESIGN §6), checked at the CLI's edge. Lenient where the
 * contract allows growth: unknown keys are kept, so `--json` prints what the API said.
 */

/** A repository's config as the API stores it (DESIGN §3). */
export const RepositoryConfigBody = z.looseObject({
  requiredPlatforms: z.array(z.string()),
  optionalPlatforms: z.array(z.string()).default([]),
  tagPattern: z.string(),
  targetTags: z.array(z.string()),
  indexMediaType: z.string(),
  platformOverrides: z.record(z.string(), z.string()).default({}),
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
});

/** The API's view of one version (DESIGN §6 VersionStatus). */
export const VersionStatus = z.looseObject({
  repository: z.string(),
  version: z.string(),
  state: z.enum(VersionStates),
  requiredPlatforms: z.array(z.string()).default([]),
  missingPlatforms: z.array(z.string()).default([]),
  images: z.array(VersionImage).default([]),
  published: PublishedBody.nullable().default(null),
  // The contract shows `error` as null or text; an object with a message is read too.
  error: z
    .union([z.string(), z.looseObject({ message: z.string() }).transform((e) => e.message)])
    .nullable()
    .default(null),
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
