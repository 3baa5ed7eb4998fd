import { VersionNotRecordedError } from './errors.ts';
import type { FloatingPointer } from './floating-pointer.ts';
import { describeVersionTags } from './floating-status.ts';
import type { FloatingTagPointers, RepositoryConfigs, UseCaseDependencies, VersionKey, VersionReads } from './ports.ts';
import { deriveState, describeVersionError, missingPlatforms } from './readiness.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { floatingTemplates } from './target-tags.ts';
import type { VersionRecord, VersionState } from './version-record.ts';

/** What a version's status needs: the config, the records and the floating tags' pointers. */
type StatusDependencies = UseCaseDependencies<RepositoryConfigs & VersionReads & FloatingTagPointers, 'clock'>;

/** What the API reports for a version (docs/api.md, VersionStatus). */
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
export function toVersionStatus(
  record: VersionRecord,
  config: RepositoryConfig | undefined,
  nowMs: number,
  pointers: readonly FloatingPointer[] = [],
): VersionStatus {
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

/** Everything known about one version (GET …/versions/{version}); a {@link VersionNotRecordedError} until a push of it is recorded. */
export async function getVersionStatus(deps: StatusDependencies, key: VersionKey): Promise<VersionStatus> {
  const { repository } = key;
  const [record, config] = await Promise.all([deps.store.getVersion(key), deps.store.getRepositoryConfig(repository)]);
  if (record === undefined) throw new VersionNotRecordedError(key);
  return toVersionStatus(record, config, deps.clock.now(), await floatingPointers(deps, repository, config));
}

/** What {@link listVersionStatuses} takes: an optional state filter and one store page (`limit`, default 50, and `cursor`). */
export interface VersionListQuery {
  readonly state?: string | undefined;
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

/**
 * One page of versions (GET …/versions). With a `state` filter the page is one store page filtered,
 * so it may hold fewer than `limit` versions (even none) while `cursor` still points further.
 */
export async function listVersionStatuses(
  deps: StatusDependencies,
  repository: string,
  query: VersionListQuery,
): Promise<{ versions: VersionStatus[]; cursor: string | null }> {
  const config = await deps.store.getRepositoryConfig(repository);
  const [page, pointers] = await Promise.all([
    deps.store.listVersions(repository, { limit: query.limit ?? 50, cursor: query.cursor }),
    floatingPointers(deps, repository, config),
  ]);
  const versions = page.versions
    .map((record) => toVersionStatus(record, config, deps.clock.now(), pointers))
    .filter((status) => query.state === undefined || status.state === query.state);
  return { versions, cursor: page.cursor };
}

/** The repository's floating tag pointers: one read, and none when the config has no floating template. */
async function floatingPointers(
  deps: StatusDependencies,
  repository: string,
  config: RepositoryConfig | undefined,
): Promise<FloatingPointer[]> {
  return config === undefined || floatingTemplates(config).length === 0 ? [] : deps.store.listFloatingTags(repository);
}
