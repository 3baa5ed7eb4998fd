import type { FloatingPointer } from './floating-pointer.ts';
import { describeVersionTags } from './floating-status.ts';
import { deriveState, describeVersionError, missingPlatforms } from './readiness.ts';
import type { RepositoryConfig } from './repository-config.ts';
import type { VersionRecord, VersionState } from './version-record.ts';

/** What the API reports for a version (VersionStatus in docs/api.md). */
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
  /** The tags that point at this version now: its exact tags once published, then the floating tags (`latest`, `2.7`) whose pointer names it. */
  readonly tags: readonly string[];
  /** Plain sentences for a person: why a floating tag does not follow this version (pre-release, not semver, a newer release holds it…). */
  readonly notes: readonly string[];
  readonly error: string | null;
  /** Per-arch pushes that were refused (bad content), by tag; an accepted push of the tag removes its entry. */
  readonly rejected: ReadonlyArray<{ tag: string; digest: string; reason: string; at: string }>;
  readonly updatedAt: string;
}

/** A version's status; `pointers` are the repository's floating tag pointers (listFloatingTags), read once per page. */
export function toVersionStatus(record: VersionRecord, config: RepositoryConfig | undefined, nowMs: number, pointers: readonly FloatingPointer[] = []): VersionStatus {
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
  const error = describeVersionError(config, record) ?? null;
  const { tags, notes } = describeVersionTags(record, config, pointers);
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
    tags,
    notes,
    error,
    rejected: Object.values(record.rejected ?? {})
      .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
      .map(({ tag, digest, reason, at }) => ({ tag, digest, reason, at })),
    updatedAt: record.updatedAt,
  };
}
