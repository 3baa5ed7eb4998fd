import { activeError, deriveState, missingPlatforms } from './readiness.ts';
import type { RepositoryConfig } from './repository-config.ts';
import type { VersionRecord, VersionState } from './version-record.ts';

/** What the API reports for a version (DESIGN §6, VersionStatus). */
export interface VersionStatus {
  readonly repository: string;
  readonly version: string;
  readonly state: VersionState;
  readonly requiredPlatforms: readonly string[];
  readonly missingPlatforms: readonly string[];
  readonly images: ReadonlyArray<{
    platform: string;
    digest: string;
    mediaType: string;
    size: number;
    tag: string;
    pushedAt: string;
  }>;
  /** `partial`: published while required platforms were missing (they are in `missingPlatforms`). */
  readonly published: {
    digest: string;
    mediaType: string;
    tags: readonly string[];
    at: string;
    partial: boolean;
    /** Tags a known tool rewrote on top of this index (SOCI, signatures), each with what holds it; absent when none. */
    heldBy?: ReadonlyArray<{ tag: string; digest: string; note: string }>;
  } | null;
  readonly error: string | null;
  readonly updatedAt: string;
}

export function toVersionStatus(record: VersionRecord, config: RepositoryConfig | undefined, nowMs: number): VersionStatus {
  const images = Object.values(record.images)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((image) => ({
      platform: image.key,
      digest: image.digest,
      mediaType: image.mediaType,
      size: image.size,
      tag: image.tag,
      pushedAt: image.pushedAt,
    }));
  const error = activeError(record)?.message ?? null;
  return {
    repository: record.repository,
    version: record.version,
    state: deriveState(config, record, nowMs),
    requiredPlatforms: config?.requiredPlatforms ?? [],
    missingPlatforms: missingPlatforms(config, record),
    images,
    published:
      record.published === undefined
        ? null
        : {
            digest: record.published.digest,
            mediaType: record.published.mediaType,
            tags: record.published.tags,
            at: record.published.at,
            partial: (record.published.missingPlatforms?.length ?? 0) > 0,
            ...(record.published.heldBy?.length ? { heldBy: record.published.heldBy.map((h) => ({ ...h })) } : {}),
          },
    error,
    updatedAt: record.updatedAt,
  };
}
