import { describeError, DomainError, ErrorCodes, isDomainError } from './errors.ts';
import { recordHistory } from './history.ts';
import { planImagesChange } from './images-change.ts';
import { Counters } from './metrics.ts';
import type { Dependencies } from './ports.ts';
import { publishVersion, type PublishOutcome } from './publish-version.ts';
import { readPushedImages } from './read-push.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { compileTagPattern, matchTag } from './tag-pattern.ts';
import type { RecordedImage, VersionRecord } from './version-record.ts';

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
  /** Bad content: nothing recorded, the reason logged (and on the version when one is known). */
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'conflict'; readonly version: string; readonly message: string }
  | { readonly kind: 'recorded'; readonly version: string; readonly revision: number; readonly changed: boolean; readonly platforms: readonly string[]; readonly publish: PublishOutcome };

const MAX_WRITE_ATTEMPTS = 20;
const MAX_TAG_MOVES = 3;

/**
 * Handles one push (DESIGN §4): decides whether it is a per-arch push, reads the images the tag
 * points to now, records them under the version, and publishes when the version is complete.
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
  if (config === undefined) return { kind: 'ignored', reason: `repository ${repository} has no configuration` };
  if (ownPublish) {
    return { kind: 'ignored', reason: `${repository}:${tag} is an index manifest-assembler published itself` };
  }
  const match = matchTag(await compileTagPattern(config.tagPattern), tag);
  if (match === undefined) return { kind: 'ignored', reason: `tag ${tag} does not match tagPattern ${config.tagPattern}` };

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
    if (isDomainError(error) && !error.retryable) return { kind: 'rejected', reason: `${repository}:${tag} (${digest}): ${describeError(error)}` };
    throw error;
  }
  if (images.length === 0) return { kind: 'ignored', reason: `${repository}:${tag} holds no image with a real platform` };

  const replaceable = new Set<string>();
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const record = await store.getVersion(repository, version);
    const plan = planImagesChange(record, tag, images, replaceable);
    if (plan.kind === 'unchanged') {
      if (record === undefined) throw new Error('unreachable: an unchanged plan needs a record');
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
        await store.recordError(repository, version, { kind: 'conflict', message, revision: record.revision, at: now, contested }, undefined, now);
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
    const change = settles ? { ...plan.change, clearError: true } : plan.change;
    const updated = await store.updateImages(repository, version, change, record?.revision ?? 0, now);
    if (updated !== undefined) return { kind: 'recorded', record: updated, changed: true, platforms: images.map((i) => i.key) };
    // Someone else wrote first: read again and re-plan on top of their change.
    await clock.sleep(Math.floor(Math.random() * 10 * attempt));
  }
  throw new DomainError(ErrorCodes.busy, `${repository}:${version} is being written by too many pushes at once; will retry`, { retryable: true });
}
