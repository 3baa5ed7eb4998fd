import { announceOutcome } from './announce-outcome.ts';
import { buildVersionIndex } from './index-builder.ts';
import { Counters } from './metrics.ts';
import type { Announcements, EpochMs, PushWrites, UseCaseDependencies, VersionErrors, VersionKey, VersionReads } from './ports.ts';
import { selectIndexImages } from './readiness.ts';
import type { RepositoryConfig } from './repository-config.ts';
import type { PushRejection, RecordedImage, VersionRecord } from './version-record.ts';
import { versionsForTargetTag } from './version-tag.ts';

/** What the rare turns of a push need: the record's reads and writes, and what announcing a conflict needs. */
type RarePushDependencies = UseCaseDependencies<
  VersionReads & PushWrites & VersionErrors & Announcements,
  'registry' | 'metrics' | 'clock' | 'events' | 'logger'
>;

// What recording a push runs only on its rare paths: a refused image, a platform two per-arch tags
// claim, a push under another version's target tag. src/core/record-push.ts reaches it through the publish path's module (publish-path.ts,
// imported on first use), so that it stays off the on-image-push function's cold start
// (docs/performance.md, "Lambda bundles").

/** How many per-arch tags of one version keep a refusal on the record; the oldest give way. */
export const MAX_REJECTED_TAGS = 10;

/**
 * Keeps a refusal on the version so its status shows it: one entry per tag (a duplicate event writes
 * nothing), at most {@link MAX_REJECTED_TAGS} tags, the oldest evicted in the same write.
 */
export async function recordRefusal(deps: RarePushDependencies, key: VersionKey, rejection: PushRejection, now: EpochMs): Promise<void> {
  // A tag rebuilt while we read the refused image: the newer push is the one to judge (and to show).
  if ((await deps.registry.resolveTag(key.repository, rejection.tag)) !== rejection.digest) return;
  const record = await deps.store.getVersion(key);
  const known = record?.rejected?.[rejection.tag];
  if (known !== undefined && known.digest === rejection.digest && known.reason === rejection.reason) return;
  const others = Object.values(record?.rejected ?? {}).filter((r) => r.tag !== rejection.tag);
  const evict = others
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(0, Math.max(0, others.length - (MAX_REJECTED_TAGS - 1)))
    .map((r) => r.tag);
  await deps.store.recordRejection(key, { rejection, evict, now });
}

/**
 * A platform `existing` (from another per-arch tag) and `incoming` both claim. When the other tag
 * moved on, its image is no longer anyone's and the push may take the platform (`replace`);
 * otherwise the version is in conflict: written once on the record (a duplicate event or a
 * reconciler pass finding the same conflict leaves it alone), announced and counted.
 */
export async function settleContest(
  deps: RarePushDependencies,
  config: RepositoryConfig,
  key: VersionKey,
  record: VersionRecord | undefined,
  contest: { existing: RecordedImage; incoming: RecordedImage },
  at: { now: string; nowMs: EpochMs },
): Promise<{ kind: 'replace' } | { kind: 'conflict'; version: string; message: string }> {
  const { existing, incoming } = contest;
  if ((await deps.registry.resolveTag(key.repository, existing.tag)) !== existing.sourceDigest) return { kind: 'replace' };
  const message =
    `${existing.tag} (${existing.digest}) and ${incoming.tag} (${incoming.digest}) both claim platform ${existing.key} ` +
    `of version ${key.version}; delete or re-push one of them, or map tags to platforms with platformOverrides`;
  const known = record?.error?.kind === 'conflict' && record.error.revision === record.revision && record.error.message === message;
  if (record !== undefined && !known) {
    const contested = { tag: incoming.tag, digest: incoming.sourceDigest };
    const written = await deps.store.recordError(key, {
      error: { kind: 'conflict', message, revision: record.revision, at: at.now, contested },
      now: at.nowMs,
    });
    await announceOutcome(deps, 'conflict', written, config);
    deps.metrics?.count(Counters.versionsInConflict);
  }
  return { kind: 'conflict', version: key.version, message };
}

/**
 * Why a push under `tag` is a version's own target tag rather than a per-arch push, or undefined.
 * A tag is a target tag when a recorded version (other than the one the tag pattern reads) names it;
 * this matters where versions contain the pattern's separator (version `1.0-rc1` publishes `1.0-rc1`,
 * which the default pattern reads as version `1.0`, platform `rc1`). Our own index arriving under it
 * without this store having put it (replicated from another region's deployment) is recognised by
 * building the index from the recorded images and comparing digests. `targets` holds the records of
 * the versions {@link versionsForTargetTag} names (read with the pushed version's record, in one go).
 */
export function versionTagReason(
  targets: ReadonlyMap<string, VersionRecord>,
  config: RepositoryConfig,
  repository: string,
  tag: string,
  digest: string,
  perArchVersion: string,
): string | undefined {
  for (const version of versionsForTargetTag(config, tag)) {
    if (version === perArchVersion) continue;
    const record = targets.get(version);
    if (record === undefined) continue;
    const images = selectIndexImages(config, record);
    const built = images.length === 0 ? undefined : buildVersionIndex(images, config).manifest.digest;
    if (digest === built || digest === record.published?.digest) {
      return `${repository}:${tag} holds the index of version ${version} built from its recorded images (replicated, or put by this service)`;
    }
    return `${repository}:${tag} is a target tag of version ${version}, not a per-arch tag; the reconciler checks what it holds`;
  }
  return undefined;
}
