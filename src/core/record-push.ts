import { awaitTagAt } from './await-tag.ts';
import type { Descriptor } from './descriptor.ts';
import { DomainError, describeError, describeNoConfiguration, ErrorCodes, isDomainError } from './errors.ts';
import { exactTargetTags } from './exact-target-tags.ts';
import { type HistoryContext, historyWriteFor, type KnownState, recordHistory } from './history.ts';
import { planImagesChange } from './images-change.ts';
import { isImageManifestMediaType } from './media-types.ts';
import type { Dependencies, ImagesChange, VersionKey } from './ports.ts';
import { PublishTiming, publishPath, publishVersionOnDemand } from './publish-gate.ts';
import type { PublishOutcome } from './publish-version.ts';
import { type ReadPush, startReadingPush } from './read-push.ts';
import { missingPlatforms } from './readiness.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { compileTagPattern, matchTag } from './tag-pattern.ts';
import type { VersionHistory } from './version-history.ts';
import type { RecordedImage, VersionRecord } from './version-record.ts';
import { isAssembledIndex, versionsForTargetTag } from './version-tag.ts';

/** A push as every source describes it (ECR event detail, registry notification). */
export interface PushEvent {
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string | undefined;
  readonly mediaType?: string | undefined;
  /** The config the delivering system says the manifest references (a hint: see read-push.ts). */
  readonly configHint?: Descriptor | undefined;
  /** The delivering system's id, for the log. */
  readonly eventId?: string | undefined;
}

export type PushOutcome =
  | { readonly kind: 'ignored'; readonly reason: string }
  /** Bad content: no image recorded; the refusal is logged and kept on the version (its status shows it). */
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'conflict'; readonly version: string; readonly message: string }
  | {
      readonly kind: 'recorded';
      readonly version: string;
      readonly revision: number;
      readonly changed: boolean;
      readonly platforms: readonly string[];
      readonly publish: PublishOutcome;
    };

const MAX_WRITE_ATTEMPTS = 20;
const MAX_TAG_MOVES = 3;

/**
 * Handles one push (docs/architecture.md, "Follow one push", steps 3 to 6): decides whether it is a
 * per-arch push, reads the images the tag points to now, records them under the version, and
 * publishes when the version is complete.
 * Expected outcomes are returned; retryable failures (registry or store unavailable) are thrown.
 */
export async function recordPush(deps: Dependencies, event: PushEvent): Promise<PushOutcome> {
  const { outcome, known } = await recordPushUnlogged(deps, event);
  if (outcome.kind === 'recorded' || outcome.kind === 'conflict') {
    await recordHistory(deps, event.repository, outcome.version, { eventId: event.eventId, tag: event.tag }, known);
  }
  const fields = { repository: event.repository, tag: event.tag, digest: event.digest, eventId: event.eventId, outcome: outcome.kind };
  if (outcome.kind === 'ignored') deps.logger.info(`push ignored: ${outcome.reason}`, fields);
  else if (outcome.kind === 'rejected') deps.logger.warn(`push rejected: ${outcome.reason}`, fields);
  else if (outcome.kind === 'conflict') deps.logger.warn(`push conflicts: ${outcome.message}`, { ...fields, version: outcome.version });
  else
    deps.logger.info('push recorded', {
      ...fields,
      version: outcome.version,
      revision: outcome.revision,
      changed: outcome.changed,
      platforms: outcome.platforms,
      publish: outcome.publish,
    });
  return outcome;
}

/** What the push left known, so its history is appended without reading the record and history again. */
type Handled = { outcome: PushOutcome; known?: KnownState };

async function recordPushUnlogged(deps: Dependencies, event: PushEvent): Promise<Handled> {
  const { store } = deps;
  const { repository, tag } = event;
  const ignored = (reason: string): Handled => ({ outcome: { kind: 'ignored', reason } });
  if (tag === undefined || tag === '') return ignored('no tag (a push by digest, e.g. a child of an index)');
  const config = await store.getRepositoryConfig(repository);
  if (config === undefined) return ignored(describeNoConfiguration(repository));
  const ownPublish = `${repository}:${tag} is an index manifest-assembler published itself`;
  // The push event of our own put (the registry sends one for it): known here without a read.
  if (deps.recentPuts?.has(repository, tag, event.digest) === true) return ignored(ownPublish);
  const pattern = await compileTagPattern(config.tagPattern);
  const match = matchTag(pattern, tag);
  if (match === undefined) return ignored(`tag ${tag} does not match tagPattern ${config.tagPattern}`);
  const key = { repository, version: match.version };
  // Own keys only: a tag ending in -constructor or -__proto__ must not find Object.prototype's members.
  const hint = match.platformHint;
  const override = hint !== undefined && Object.hasOwn(config.platformOverrides, hint) ? config.platformOverrides[hint] : undefined;
  // The time this event is handled: the images' pushedAt and the record's updatedAt.
  const nowMs = deps.clock.now();
  const readImages = (digest: string) =>
    startReadingPush(deps.registry, {
      repository,
      digest,
      tag,
      override,
      pushedAt: new Date(nowMs).toISOString(),
      // The hint names the config of the event's manifest, not of whatever the tag moved on to.
      configHint: digest === event.digest ? event.configHint : undefined,
    });
  // The images by digest before the look at the tag: what a digest holds never changes, so reading
  // it early changes no decision (the look still comes after the record's read and before the
  // write), and where the registry notifies before it moves the tag (distribution) the reads fill
  // the moment the tag takes to move, instead of the look waiting it out and asking again.
  // An image manifest is read beside the record's read (a round trip less before the look): nothing
  // this service puts is one, so the push is not our own index, which the record's read recognises;
  // an index is read only once that read has not (the push of our own put costs no registry read).
  const alongside = isImageManifestMediaType(event.mediaType) ? readImages(event.digest) : undefined;
  // Their failure is judged below, after the record's read and the look.
  alongside?.manifest.catch(() => undefined);
  alongside?.images.catch(() => undefined);
  // One read for everything below: the record (read before the tag check: see recordImages), the
  // versions this tag could be the target tag of, and whether we put this digest under this tag.
  // Target tags the pattern matches are the only ones anything is remembered under (publish-version.ts).
  const targetTags = exactTargetTags(config, match.version).filter((t) => matchTag(pattern, t) !== undefined);
  const context = await store.readForPush(key, {
    tag,
    digest: event.digest,
    targetVersions: versionsForTargetTag(config, tag),
    targetTags,
  });
  if (context.publishedByUs) return ignored(ownPublish);
  // Another version's record found under this tag's name (rare: a push under a target tag) is judged
  // by code loaded with the publish path; a per-arch push finds none.
  const versionTag =
    context.targets.size === 0
      ? undefined
      : (await publishPath()).versionTagReason(context.targets, config, repository, tag, event.digest, match.version);
  if (versionTag !== undefined) {
    await rememberTargetTagPush(deps, repository, tag, event.digest);
    return ignored(versionTag);
  }

  const early = alongside ?? readImages(event.digest);
  early.images.catch(() => undefined);
  // Judged once the tag was looked at (a push whose tag moved on is ignored, whatever its digest holds).
  // The look waits for the pushed manifest's read (which fills the moment distribution takes to move
  // the tag after notifying), not for its config's: that is read beside the look.
  await early.manifest.catch(() => undefined);
  // The registry is the truth: an event for a digest the tag no longer points to is stale. This is
  // the one look at the tag an event costs when nothing races it.
  const current = await lookAtTag(deps, repository, tag, event.digest);
  if (current === undefined) return ignored(`tag ${tag} no longer exists`);
  if (current !== event.digest) return ignored(`stale: ${tag} now points to ${current}, not ${event.digest}`);

  let digest = event.digest;
  const historyContext: HistoryContext = { eventId: event.eventId, tag: event.tag };
  let seen: Seen | undefined = { record: context.record, history: context.history, historyContext };
  for (let move = 0; move <= MAX_TAG_MOVES; move++) {
    const owner = deps.newId();
    const recorded = await recordImages(
      deps,
      config,
      key,
      tag,
      digest,
      move === 0 ? early.images : readImages(digest).images,
      seen,
      owner,
      nowMs,
    );
    seen = undefined;
    if (recorded.kind === 'tag-moved') {
      deps.logger.info('tag moved while recording; recording its new image', { repository, tag, from: digest, to: recorded.to });
      digest = recorded.to;
      continue;
    }
    if (recorded.kind !== 'recorded') return { outcome: recorded, known: { history: context.history } };
    const { record } = recorded;
    // The history as the write left it when it appended there (else as read: recordHistory appends).
    const history = recorded.history ?? context.history;
    const held = record.lease?.owner === owner ? { owner, record } : undefined;
    const publish = await publishVersionOnDemand(deps, repository, match.version, {
      revision: record.revision,
      config,
      known: record,
      tagsPutBefore: context.rememberedTargetTags,
      ...(held === undefined ? {} : { held }),
      history: { known: history, context: historyContext },
    });
    return {
      outcome: {
        kind: 'recorded',
        version: match.version,
        revision: record.revision,
        changed: recorded.changed,
        platforms: recorded.platforms,
        publish: publish.outcome,
      },
      // The record as our last write left it; a publish that wrote an error (conflict, failure) is read again.
      known: {
        history: publish.history ?? history,
        ...(publish.record !== undefined ? { record: publish.record } : wroteNothing(publish.outcome) ? { record } : {}),
      },
    };
  }
  throw new DomainError(ErrorCodes.busy, `${repository}:${tag} kept moving while being recorded; will retry`, { retryable: true });
}

/**
 * Remembers a push under a version's target tag that is not a per-arch push (an index replicated
 * from another region's deployment, another tool's push): its publisher then looks at the tag before
 * putting, and leaves it alone if it holds the very index already.
 */
async function rememberTargetTagPush(deps: Dependencies, repository: string, tag: string, digest: string): Promise<void> {
  await deps.store.rememberPublishedTag({ repository, tag, digest });
}

/** Whether publishing ended without a write of its own (so the caller's record is still the latest it knows). */
function wroteNothing(outcome: PublishOutcome): boolean {
  return outcome.kind === 'waiting' || outcome.kind === 'up-to-date' || outcome.kind === 'handed-over' || outcome.kind === 'not-found';
}

/**
 * What `tag` points to now. Where the registry sends its event before it moves the tag
 * (distribution: `tagSettle`), waits a moment for the tag to reach the pushed digest.
 */
async function lookAtTag(deps: Dependencies, repository: string, tag: string, digest: string): Promise<string | undefined> {
  const { registry, clock, tagSettle } = deps;
  if (
    tagSettle !== undefined &&
    (await awaitTagAt(registry, repository, tag, digest, {
      ...tagSettle,
      now: () => clock.now(),
      sleep: (ms) => clock.sleep(ms),
    }))
  ) {
    return digest;
  }
  return registry.resolveTag(repository, tag);
}

/** `history`: the history the write appended to the record's (the history is then known as that write left it). */
type Recorded = { kind: 'recorded'; record: VersionRecord; changed: boolean; platforms: string[]; history?: VersionHistory };

/** What the caller read before its look at the tag: the record and the history, and what the push adds to the history. */
type Seen = { record: VersionRecord | undefined; history: VersionHistory; historyContext: HistoryContext };

/**
 * Reads the images `digest` holds and records them under the version, compare-and-set on the
 * record's revision.
 *
 * One look at the tag per event is enough, because the record each write is conditioned on was read
 * before the tag was looked at: a newer push of the tag happened after our look, so its event reads
 * the record after ours did, and whichever of the two writes lands second finds the revision moved,
 * reads again and looks at the tag again. So a stale image never overwrites a newer one, not even for
 * a moment. `seen` is the record the caller read before its look (with the history read with it,
 * appended to in the same write, so the push costs no write of its own for it); without it (a retry, a moved
 * tag) each attempt reads the record, then looks at the tag, then writes.
 *
 * When the write completes the version and nobody holds its publish lease, the same write takes the
 * lease for `owner` (the caller publishes next).
 */
async function recordImages(
  deps: Dependencies,
  config: RepositoryConfig,
  key: VersionKey,
  tag: string,
  digest: string,
  /** The images `digest` holds, being read (by the caller, before its look at the tag). */
  reading: Promise<ReadPush>,
  seen: Seen | undefined,
  owner: string,
  nowMs: number,
): Promise<Recorded | { kind: 'tag-moved'; to: string } | Extract<PushOutcome, { kind: 'rejected' | 'ignored' | 'conflict' }>> {
  const { store, registry, clock } = deps;
  const { repository, version } = key;
  const now = new Date(nowMs).toISOString();
  let images: RecordedImage[];
  try {
    const read = await reading;
    for (const reason of read.skipped) deps.logger.info(`skipped: ${reason}`, { repository, tag, digest });
    images = read.images;
  } catch (error) {
    if (isDomainError(error) && !error.retryable) {
      await (await publishPath()).recordRefusal(deps, key, { tag, digest, reason: describeError(error), at: now }, nowMs);
      return { kind: 'rejected', reason: `${repository}:${tag} (${digest}): ${describeError(error)}` };
    }
    throw error;
  }
  if (images.length === 0) return { kind: 'ignored', reason: `${repository}:${tag} holds no image with a real platform` };
  if (isAssembledIndex(images, digest, config)) {
    await rememberTargetTagPush(deps, repository, tag, digest);
    return {
      kind: 'ignored',
      reason: `${repository}:${tag} holds an index manifest-assembler assembled (another deployment's, e.g. replicated from another region), not a per-arch push`,
    };
  }

  const replaceable = new Set<string>();
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const held = attempt === 1 ? seen : undefined;
    const looked = held !== undefined;
    const record = held !== undefined ? held.record : await store.getVersion(key);
    const plan = planImagesChange(record, tag, images, replaceable);
    const refused = record?.rejected?.[tag];
    if (plan.kind === 'unchanged') {
      if (record === undefined) throw new Error('unreachable: an unchanged plan needs a record');
      // The tag is back on the image already recorded: its refusal is history.
      if (refused !== undefined) await store.clearRejection(key, { tag, digest: refused.digest });
      return { kind: 'recorded', record, changed: false, platforms: images.map((i) => i.key) };
    }
    if (plan.kind === 'contested') {
      // Loaded here: a contested platform is rare, and settling it stays off the push path's cold start.
      const settled = await (await publishPath()).settleContest(deps, config, key, record, plan, { now, nowMs });
      // The other tag moved on: its image is no longer anyone's, so this push may take the platform.
      if (settled.kind === 'replace') replaceable.add(plan.existing.key);
      else return settled;
      continue;
    }
    if (!looked) {
      // This attempt read the record itself: look at the tag after that read, before writing.
      const current = await registry.resolveTag(repository, tag);
      if (current !== undefined && current !== digest) return { kind: 'tag-moved', to: current };
    }
    // The refused tag of a contested-platform conflict, pushed again and now recorded without one:
    // the conflict is settled, so it goes in the same write.
    const settles = record?.error?.kind === 'conflict' && record.error.contested?.tag === tag;
    const change = { ...plan.change, ...(settles ? { clearError: true } : {}), ...(refused !== undefined ? { clearRejected: [tag] } : {}) };
    const lease = takesLease(config, record, change) ? { owner, now: clock.now(), leaseMs: PublishTiming.leaseMs } : undefined;
    const history =
      held === undefined
        ? undefined
        : historyWriteFor(held.history, afterChange(key, record, change, now), held.historyContext, clock.now());
    const updated = await store.updateImages(key, change, {
      expectedRevision: record?.revision ?? 0,
      now: nowMs,
      ...(lease === undefined ? {} : { lease }),
      ...(history === undefined ? {} : { history }),
    });
    if (updated !== undefined) {
      return {
        kind: 'recorded',
        record: updated,
        changed: true,
        platforms: images.map((i) => i.key),
        ...(history === undefined ? {} : { history: history.history }),
      };
    }
    // Someone else wrote first (or took the lease): read again and re-plan on top of their change.
    await clock.sleep(Math.floor(Math.random() * 10 * attempt));
  }
  throw new DomainError(ErrorCodes.busy, `${repository}:${version} is being written by too many pushes at once; will retry`, {
    retryable: true,
  });
}

/** The record as updateImages will leave it, as far as its history goes (images, revision, error). */
function afterChange(key: VersionKey, record: VersionRecord | undefined, change: ImagesChange, now: string): VersionRecord {
  const images: Record<string, RecordedImage> = { ...record?.images };
  for (const image of change.set) images[image.key] = image;
  for (const k of change.remove) delete images[k];
  const { error, ...rest } = record ?? { ...key, revision: 0, images: {}, createdAt: now, updatedAt: now };
  return {
    ...rest,
    revision: rest.revision + 1,
    images,
    updatedAt: now,
    ...(error === undefined || change.clearError === true ? {} : { error }),
  };
}

/**
 * Whether the write of `change` should take the publish lease too: only when it completes the
 * version (no required platform missing afterwards), nothing else blocks the publish, and nobody
 * holds a lease (an expired one is taken over by publishVersion, which then looks at what its dead
 * holder may have put). A version that cannot publish yet gets no lease.
 */
function takesLease(config: RepositoryConfig, record: VersionRecord | undefined, change: ImagesChange): boolean {
  if (record?.lease !== undefined) return false;
  const images: Record<string, RecordedImage> = { ...record?.images };
  for (const image of change.set) images[image.key] = image;
  for (const key of change.remove) delete images[key];
  if (Object.keys(images).length === 0 || missingPlatforms(config, { images }).length > 0) return false;
  const error = change.clearError === true ? undefined : record?.error;
  return error?.kind !== 'conflict';
}
