import type { Dependencies } from './ports.ts';
import { type PublishOutcome, publishVersion } from './publish-version.ts';
import { recordPush } from './record-push.ts';
import type { VersionRecord } from './version-record.ts';

/**
 * Re-applying a repository's current config to versions already published: after a platform is
 * removed from (or added to) the config, a target tag or the index media type changes, or a
 * per-arch tag was re-pushed without its event arriving, the published index is rebuilt from the
 * current config and the images the per-arch tags point at now, and put only when it differs.
 */

export interface ReapplyOptions {
  readonly allowPartial?: boolean;
  /** How long to wait for another publisher (an HTTP request must answer in time). */
  readonly waitForLeaseMs?: number;
}

export interface ReapplyResult {
  readonly outcome: PublishOutcome;
  /** Per-arch tags that pointed at another image than the one recorded, recorded again first. */
  readonly rerecorded: readonly string[];
}

/**
 * Rebuilds one version's index from the current config and current per-arch tags and republishes
 * it when the digest, the tags or the missing platforms differ from what was published; otherwise
 * `up-to-date` and nothing is put or written.
 */
export async function reapplyConfig(
  deps: Dependencies,
  repository: string,
  version: string,
  options: ReapplyOptions = {},
): Promise<ReapplyResult> {
  const record = await deps.store.getVersion({ repository, version });
  if (record === undefined) return { outcome: { kind: 'not-found' }, rerecorded: [] };
  const moved = await movedPerArchTags(deps, record);
  for (const { tag, digest } of moved) {
    // recordPush reads the tag's images as a push event would (and publishes the new revision).
    await recordPush(deps, { repository, tag, digest, eventId: 'reapply-config' });
  }
  const current = moved.length === 0 ? record : await deps.store.getVersion({ repository, version });
  if (current === undefined) return { outcome: { kind: 'not-found' }, rerecorded: [] };
  const outcome = await publishVersion(deps, repository, version, {
    revision: current.revision,
    onlyIfChanged: true,
    ...(options.allowPartial === undefined ? {} : { allowPartial: options.allowPartial }),
    ...(options.waitForLeaseMs === undefined ? {} : { waitForLeaseMs: options.waitForLeaseMs }),
  });
  return { outcome, rerecorded: moved.map((m) => m.tag) };
}

/** The version's per-arch tags whose digest is no longer the one recorded (a tag that is gone keeps its image). */
export async function movedPerArchTags(deps: Dependencies, record: VersionRecord): Promise<Array<{ tag: string; digest: string }>> {
  const recorded = new Map<string, string>();
  for (const image of Object.values(record.images)) recorded.set(image.tag, image.sourceDigest);
  const moved: Array<{ tag: string; digest: string }> = [];
  for (const [tag, sourceDigest] of [...recorded].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const digest = await deps.registry.resolveTag(record.repository, tag);
    if (digest !== undefined && digest !== sourceDigest) moved.push({ tag, digest });
  }
  return moved;
}
