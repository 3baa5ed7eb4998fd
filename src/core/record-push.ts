import { announceOutcome } from './announce-outcome.ts';
import { describeError, describeNoConfiguration, DomainError, ErrorCodes, isDomainError } from './errors.ts';
import { recordHistory } from './history.ts';
import { planImagesChange } from './images-change.ts';
import { Counters } from './metrics.ts';
import type { Dependencies } from './ports.ts';
import { publishVersion, type PublishOutcome } from './publish-version.ts';
import { readPushedImages } from './read-push.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { compileTagPattern, matchTag } from './tag-pattern.ts';
import { isAssembledIndex, versionTagReason } from './version-tag.ts';
import type { PushRejection, RecordedImage, VersionRecord } from './version-record.ts';

/** A push as every source describes it (ECR event detail, registry notification). */
export interface PushEvent {
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string | undefined;
  readonly mediaType?: string | undefined;
  /** The delivering system's id, for the log. */
  readonly eventId?: string | undefined;
}

export type PushOutcome =
  | { readonly kind: 'ignored'; readonly reason: string }
  /** Bad content: no image recorded; the refusal is logged and kept on the version (its status shows it). */
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'conflict'; readonly version: string; readonly message: string }
  | { readonly kind: 'recorded'; readonly version: string; readonly revision: number; readonly changed: boolean; readonly platforms: readonly string[]; readonly publish: PublishOutcome };

const MAX_WRITE_ATTEMPTS = 20;
/** How many per-arch tags of one version keep a refusal on the record; the oldest give way. */
export const MAX_REJECTED_TAGS = 10;
const MAX_TAG_MOVES = 3;

/**
 * Handles one push (docs/architecture.md, "Follow one push", steps 3 to 6): decides whether it is a
 * per-arch push, reads the images the tag points to now, records them under the version, and
 * publishes when the version is complete.
 * Expected outcomes are returned; retryable failures (registry or store unavailable) are thrown.
 */
export async function recordPush(deps: Dependencies, event: PushEvent): Promise<PushOutcome> {
  const outcome = await recordPushUnlogged(deps, event);
  if (outcome.kind === 'recorded' || outcome.kind === 'conflict') await recordHistory(deps, event.repository, outcome.version, { eventId: event.eventId, tag: event.tag });
  const fields = { repository: event.repository, tag: event.tag, digest: event.digest, eventId: event.eventId, outcome: outcome.kind };
  if (outcome.kind === 'ignored') deps.logger.info(`push ignored: ${outcome.reason}`, fields);
  else if (outcome.kind === 'rejected') deps.logger.warn(`push rejected: ${outcome.reason}`, fields);
  else if (outcome.kind === 'conflict') deps.logger.warn(`push conflicts: ${outcome.message}`, { ...fields, version: outcome.version });
  else deps.logger.info('push recorded', { ...fields, version: outcome.version, revision: outcome.revision, changed: outcome.changed, platforms: outcome.platforms, publish: outcome.publish });
  return outcome;
}

async function recordPushUnlogged(deps: Dependencies, event: PushEvent): Promise<PushOutcome> {
  const { store, registry } = deps;
  const { repository, tag } = event;
  if (tag === undefined || tag === '') return { kind: 'ignored', reason: 'no tag (a push by digest, e.g. a child of an index)' };
  const [config, ownPublish] = await Promise.all([store.getRepositoryConfig(repository), store.isPublishedTag(repository, tag, event.digest)]);
  if (config === undefined) return { kind: 'ignored', reason: describeNoConfiguration(repository) };
  if (ownPublish) {
    return { kind: 'ignored', reason: `${repository}:${tag} is an index manifest-assembler published itself` };
  }
  const match = matchTag(await compileTagPattern(config.tagPattern), tag);
  if (match === undefined) return { kind: 'ignored', reason: `tag ${tag} does not match tagPattern ${config.tagPattern}` };
  const versionTag = await versionTagReason(store, config, repository, tag, event.digest, match.version);
  if (versionTag !== undefined) return { kind: 'ignored', reason: versionTag };

  // The registry is the truth: an event for a digest the tag no longer points to is stale.
  const current = await registry.resolveTag(repository, tag);
  if (current === undefined) return { kind: 'ignored', reason: `tag ${tag} no longer exists` };
  if (current !== event.digest) return { kind: 'ignored', reason: `stale: ${tag} now points to ${current}, not ${event.digest}` };

  let digest = event.digest;
  for (let move = 0; move <= MAX_TAG_MOVES; move++) {
    const recorded = await recordImages(deps, config, repository, match.version, tag, digest, match.platformHint);
    if (recorded.kind === 'tag-moved') {
      deps.logger.info('tag moved while recording; recording its new image', { repository, tag, from: digest, to: recorded.to });
      digest = recorded.to;
      continue;
    }
    if (recorded.kind !== 'recorded') return recorded;
    // Checked again after the write: a newer push of this tag recorded between our last look and our
    // write must not lose to us.
    const after = await registry.resolveTag(repository, tag);
    if (after === undefined || after === digest) {
      const publish = await publishVersion(deps, repository, match.version, { revision: recorded.record.revision, config });
      return { kind: 'recorded', version: match.version, revision: recorded.record.revision, changed: recorded.changed, platforms: recorded.platforms, publish };
    }
    deps.logger.info('tag moved while recording; recording its new image', { repository, tag, from: digest, to: after });
    digest = after;
  }
  throw new DomainError(ErrorCodes.busy, `${repository}:${tag} kept moving while being recorded; will retry`, { retryable: true });
}

/**
 * Keeps a refusal on the version so its status shows it: one entry per tag (a duplicate event writes
 * nothing), at most {@link MAX_REJECTED_TAGS} tags, the oldest evicted in the same write.
 */
async function recordRefusal(deps: Dependencies, repository: string, version: string, rejection: PushRejection): Promise<void> {
  // A tag rebuilt while we read the refused image: the newer push is the one to judge (and to show).
  if ((await deps.registry.resolveTag(repository, rejection.tag)) !== rejection.digest) return;
  const record = await deps.store.getVersion(repository, version);
  const known = record?.rejected?.[rejection.tag];
  if (known !== undefined && known.digest === rejection.digest && known.reason === rejection.reason) return;
  const others = Object.values(record?.rejected ?? {}).filter((r) => r.tag !== rejection.tag);
  const evict = others
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(0, Math.max(0, others.length - (MAX_REJECTED_TAGS - 1)))
    .map((r) => r.tag);
  await deps.store.recordRejection(repository, version, rejection, evict, rejection.at);
}

type Recorded = { kind: 'recorded'; record: VersionRecord; changed: boolean; platforms: string[] };

async function recordImages(
  deps: Dependencies, config: RepositoryConfig, repository: string, version: string, tag: string, digest: string, hint: string | undefined,
): Promise<Recorded | { kind: 'tag-moved'; to: string } | Extract<PushOutcome, { kind: 'rejected' | 'ignored' | 'conflict' }>> {
  const { store, registry, clock } = deps;
  const now = new Date(clock.now()).toISOString();
  // Own keys only: a tag ending in -constructor or -__proto__ must not find Object.prototype's members.
  const override = hint !== undefined && Object.hasOwn(config.platformOverrides, hint) ? config.platformOverrides[hint] : undefined;
  let images: RecordedImage[];
  try {
    const read = await readPushedImages(registry, { repository, digest, tag, override, pushedAt: now });
    for (const reason of read.skipped) deps.logger.info(`skipped: ${reason}`, { repository, tag, digest });
    images = read.images;
  } catch (error) {
    if (isDomainError(error) && !error.retryable) {
      await recordRefusal(deps, repository, version, { tag, digest, reason: describeError(error), at: now });
      return { kind: 'rejected', reason: `${repository}:${tag} (${digest}): ${describeError(error)}` };
    }
    throw error;
  }
  if (images.length === 0) return { kind: 'ignored', reason: `${repository}:${tag} holds no image with a real platform` };
  if (isAssembledIndex(images, digest, config)) {
    return { kind: 'ignored', reason: `${repository}:${tag} holds an index manifest-assembler assembled (another deployment's, e.g. replicated from another region), not a per-arch push` };
  }

  const replaceable = new Set<string>();
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const record = await store.getVersion(repository, version);
    const plan = planImagesChange(record, tag, images, replaceable);
    const refused = record?.rejected?.[tag];
    if (plan.kind === 'unchanged') {
      if (record === undefined) throw new Error('unreachable: an unchanged plan needs a record');
      // The tag is back on the image already recorded: its refusal is history.
      if (refused !== undefined) await store.clearRejection(repository, version, tag, refused.digest);
      return { kind: 'recorded', record, changed: false, platforms: images.map((i) => i.key) };
    }
    if (plan.kind === 'contested') {
      const { existing, incoming } = plan;
      if ((await registry.resolveTag(repository, existing.tag)) !== existing.sourceDigest) {
        // The other tag moved on: its image is no longer anyone's, so this push may take the platform.
        replaceable.add(existing.key);
        continue;
      }
      const message =
        `${existing.tag} (${existing.digest}) and ${incoming.tag} (${incoming.digest}) both claim platform ${existing.key} ` +
        `of version ${version}; delete or re-push one of them, or map tags to platforms with platformOverrides`;
      // Written once: a duplicate event or a reconciler pass finding the same conflict leaves the record alone.
      const known = record?.error?.kind === 'conflict' && record.error.revision === record.revision && record.error.message === message;
      if (record !== undefined && !known) {
        const contested = { tag: incoming.tag, digest: incoming.sourceDigest };
        await announceOutcome(deps, 'conflict', await store.recordError(repository, version, { kind: 'conflict', message, revision: record.revision, at: now, contested }, undefined, now), config);
        deps.metrics?.count(Counters.versionsInConflict);
      }
      return { kind: 'conflict', version, message };
    }
    // Looked at just before writing, so an event that went stale while we read its manifest (the tag
    // was rebuilt meanwhile) does not overwrite the newer image, even for a moment.
    const current = await registry.resolveTag(repository, tag);
    if (current !== undefined && current !== digest) return { kind: 'tag-moved', to: current };
    // The refused tag of a contested-platform conflict, pushed again and now recorded without one:
    // the conflict is settled, so it goes in the same write.
    const settles = record?.error?.kind === 'conflict' && record.error.contested?.tag === tag;
    const change = { ...plan.change, ...(settles ? { clearError: true } : {}), ...(refused !== undefined ? { clearRejected: [tag] } : {}) };
    const updated = await store.updateImages(repository, version, change, record?.revision ?? 0, now);
    if (updated !== undefined) return { kind: 'recorded', record: updated, changed: true, platforms: images.map((i) => i.key) };
    // Someone else wrote first: read again and re-plan on top of their change.
    await clock.sleep(Math.floor(Math.random() * 10 * attempt));
  }
  throw new DomainError(ErrorCodes.busy, `${repository}:${version} is being written by too many pushes at once; will retry`, { retryable: true });
}
