import { announcementOf, announceOutcome, isAnnounced, sendPublishAnnouncement } from './announce-outcome.ts';
import { DomainError, describeError, describeNoConfiguration, ErrorCodes, isDomainError, isRetryable } from './errors.ts';
import { type FloatingTagResult, moveFloatingTags } from './floating-tags.ts';
import { type HistoryContext, historyWriteFor } from './history.ts';
import { buildVersionIndex } from './index-builder.ts';
import { Counters, type Metrics, noMetrics, Timings } from './metrics.ts';
import type { Dependencies } from './ports.ts';
import { PublishTiming, settledWithoutLease } from './publish-gate.ts';
import { missingPlatforms, selectIndexImages } from './readiness.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { classifyTagHolder } from './tag-holder.ts';
import { compileTagPattern, matchTag } from './tag-pattern.ts';
import { exactTargetTags } from './target-tags.ts';
import { VersionOutcomes } from './version-events.ts';
import type { VersionHistory } from './version-history.ts';
import { AnnouncementStates, type PublishedIndex, type RecordedImage, type TagHeldBy, type VersionRecord } from './version-record.ts';

export type PublishOutcome =
  | { readonly kind: 'published'; readonly digest: string; readonly revision: number; readonly tags: readonly string[] }
  | { readonly kind: 'up-to-date'; readonly digest: string | undefined }
  | { readonly kind: 'waiting'; readonly missing: readonly string[] }
  /** A later writer (or the current lease holder) is responsible for publishing what this caller recorded. */
  | { readonly kind: 'handed-over'; readonly reason: string }
  | { readonly kind: 'failed'; readonly message: string; readonly retryable: boolean }
  | { readonly kind: 'conflict'; readonly message: string }
  | { readonly kind: 'not-found' };

export interface PublishOptions {
  /** The revision this caller is responsible for (what it recorded, or what it read). */
  readonly revision: number;
  readonly allowPartial?: boolean;
  /** Put the index even if this revision was published already (the reconciler restoring a moved tag). */
  readonly force?: boolean;
  /**
   * Re-apply the current config: build the index even if this revision was published already, and
   * put and record it only when its digest, tags or missing platforms differ from the published ones.
   */
  readonly onlyIfChanged?: boolean;
  /** The repository's config when the caller has just read it (saves a read). */
  readonly config?: RepositoryConfig;
  /** How long to wait for another publisher; default {@link PublishTiming.waitForLeaseMs}. */
  readonly waitForLeaseMs?: number;
  /**
   * The record as the caller's own write just returned it: when it misses a required platform (and
   * `allowPartial` is not set), the version cannot publish yet and no lease is taken.
   */
  readonly known?: VersionRecord;
  /** Target tags something was put under before (read with the record): looked at before a put. */
  readonly tagsPutBefore?: ReadonlySet<string>;
  /** The publish lease, taken by the caller's write (updateImages), with the record that write returned. */
  readonly held?: { readonly owner: string; readonly record: VersionRecord };
  /**
   * The version's history as the caller knows it: the write that records the publish appends to it
   * (so the publish costs no write of its own for it). Absent: the caller records it after.
   */
  readonly history?: { readonly known: VersionHistory; readonly context?: HistoryContext };
}

/**
 * Publishes a version's index if it is complete, keeping invariants 1 to 3 of docs/reliability.md.
 *
 * One publisher at a time holds a lease on the version record. The holder builds the index from the
 * revision it holds, puts it under every target tag, records it, and gives the lease up only if no
 * image arrived meanwhile; otherwise it publishes again. A caller that finds the lease held waits
 * until its revision is published, a later revision takes over the responsibility, or the lease
 * expires (its holder died) and it takes over. So the registry never sees two publishers of one
 * version at once (an older index cannot land after a newer one), and no recorded change is left
 * unpublished.
 */
export async function publishVersion(
  deps: Dependencies,
  repository: string,
  version: string,
  options: PublishOptions,
): Promise<PublishOutcome> {
  return (await publishVersionRecorded(deps, repository, version, options)).outcome;
}

/**
 * {@link publishVersion}, with the record as its last write left it (when it wrote one), and the
 * history as that write left it (when it appended to `options.history`).
 */
export async function publishVersionRecorded(
  deps: Dependencies,
  repository: string,
  version: string,
  options: PublishOptions,
): Promise<{ outcome: PublishOutcome; record?: VersionRecord; history?: VersionHistory }> {
  const { store, clock, logger } = deps;
  const key = { repository, version };
  const owner = options.held?.owner ?? deps.newId();
  const log = { repository, version, owner };
  const deadline = clock.now() + (options.waitForLeaseMs ?? PublishTiming.waitForLeaseMs);
  let responsibleFor = options.revision;
  let pollMs: number = PublishTiming.pollStartMs;
  const settled = settledWithoutLease(options);
  if (settled !== undefined) return { outcome: settled };
  let taken = options.held?.record;
  let history = options.history;
  let written: VersionHistory | undefined;
  const done = (attempt: HeldOutcome) => ({
    outcome: attempt.outcome,
    ...(attempt.record === undefined ? {} : { record: attempt.record }),
    ...(written === undefined ? {} : { history: written }),
  });

  for (;;) {
    // Taken over from its last holder (not taken with the images): that holder may have put already.
    const takenOver = taken === undefined;
    const held = taken ?? (await store.acquireLease(key, { owner, now: clock.now(), leaseMs: PublishTiming.leaseMs }));
    taken = undefined;
    if (held === undefined) {
      const current = await store.getVersion(key);
      if (current === undefined) return { outcome: { kind: 'not-found' } };
      if (current.revision > responsibleFor)
        return { outcome: { kind: 'handed-over', reason: `revision ${current.revision} was recorded after ${responsibleFor}` } };
      if ((current.published?.revision ?? 0) >= responsibleFor)
        return { outcome: { kind: 'up-to-date', digest: current.published?.digest } };
      if (clock.now() > deadline) {
        throw new DomainError(
          ErrorCodes.busy,
          `${repository}:${version} is being published by another worker that has not finished; will retry`,
          {
            retryable: true,
          },
        );
      }
      await clock.sleep(pollMs);
      pollMs = Math.min(pollMs * 2, PublishTiming.pollMaxMs);
      continue;
    }

    const config = options.config ?? (await store.getRepositoryConfig(repository));
    let attempt: HeldOutcome;
    try {
      attempt = await publishHeldRevision(deps, held, config, owner, {
        ...options,
        takenOver,
        ...(history === undefined ? {} : { history }),
      });
    } catch (error) {
      // Give the lease back at once rather than make everyone wait for it to expire.
      await store.releaseLease(key, { owner, expectedRevision: held.revision }).catch(() => undefined);
      throw error;
    }
    if (attempt.history !== undefined && history !== undefined) {
      written = attempt.history;
      history = { ...history, known: written };
    }
    // Recorded and released in one write: nothing changed meanwhile (the write was conditioned on it).
    if (attempt.released) return done(attempt);
    const released = await store.releaseLease(key, { owner, expectedRevision: held.revision });
    if (released === 'revision-moved') {
      // Images changed while we held the lease: whoever recorded them is waiting for us; go again.
      logger.info('images changed while publishing; publishing again', { ...log, revision: held.revision, outcome: attempt.outcome.kind });
      responsibleFor = held.revision + 1;
      continue;
    }
    if (attempt.outcome.kind === 'failed' && attempt.outcome.retryable) {
      throw new DomainError(ErrorCodes.unavailable, attempt.outcome.message, { retryable: true });
    }
    return done(attempt);
  }
}

/** What publishing a held revision gave: the record its publish write left, and whether that write gave the lease up. */
type HeldOutcome = { outcome: PublishOutcome; record?: VersionRecord; released: boolean; history?: VersionHistory };

async function publishHeldRevision(
  deps: Dependencies,
  record: VersionRecord,
  config: RepositoryConfig | undefined,
  owner: string,
  options: PublishOptions & { takenOver: boolean },
): Promise<HeldOutcome> {
  const done: HeldDone = {};
  const outcome = await publishHeld(deps, record, config, owner, options, done);
  return {
    outcome,
    released: done.released === true,
    ...(done.record === undefined ? {} : { record: done.record }),
    ...(done.history === undefined ? {} : { history: done.history }),
  };
}

/** What the publish write left: the record, whether it gave the lease up, and the history it appended to. */
type HeldDone = { record?: VersionRecord; released?: boolean; history?: VersionHistory };

async function publishHeld(
  deps: Dependencies,
  record: VersionRecord,
  config: RepositoryConfig | undefined,
  owner: string,
  options: PublishOptions & { takenOver: boolean },
  done: HeldDone,
): Promise<PublishOutcome> {
  const { store, registry, clock, logger } = deps;
  const { repository, version, revision } = record;
  const log = { repository, version, revision };
  if (config === undefined) return { kind: 'failed', message: describeNoConfiguration(repository), retryable: false };
  const reapply = options.onlyIfChanged === true;
  if (record.published?.revision === revision && options.force !== true && !reapply)
    return { kind: 'up-to-date', digest: record.published.digest };
  const error = record.error;
  if (error?.kind === 'conflict') {
    if (error.contested !== undefined) {
      // Two tags claim one platform: only publish once the refused tag has moved on (or is gone).
      const { tag, digest } = error.contested;
      if ((await registry.resolveTag(repository, tag)) === digest) return { kind: 'conflict', message: error.message };
    } else if (error.revision === revision) {
      return { kind: 'conflict', message: error.message };
    }
  }

  const missing = missingPlatforms(config, record);
  if (missing.length > 0 && options.allowPartial !== true) return { kind: 'waiting', missing };
  const images = selectIndexImages(config, record);
  if (images.length === 0) return { kind: 'waiting', missing };

  const built = buildVersionIndex(images, config);
  if (built.omittedAttestations > 0) {
    logger.warn('attestations left out: a Docker manifest list cannot carry them (set indexMediaType to oci or auto to keep them)', {
      ...log,
      omitted: built.omittedAttestations,
    });
  }
  if (built.omittedAnnotations.length > 0) {
    // Every Docker child has a created time, so this happens on each Docker-list publish: only a
    // warning when the user configured annotations that are now missing.
    const configured = built.omittedAnnotations.some((key) => Object.hasOwn(config.annotations, key));
    logger[configured ? 'warn' : 'info']('annotations left out: a Docker manifest list has none (set indexMediaType to oci to keep them)', {
      ...log,
      omitted: built.omittedAnnotations,
    });
  }
  const { manifest } = built;
  const tags = exactTargetTags(config, version);
  if (reapply && isPublishedAs(record, manifest.digest, tags, missing)) return { kind: 'up-to-date', digest: manifest.digest };
  const refusal = immutableRefusal(config, record, manifest.digest, tags);
  if (refusal !== undefined) {
    const now = clock.now();
    // Written once per revision: the reconciler and redelivered events find it and leave it.
    if (!(record.error?.kind === 'conflict' && record.error.revision === revision)) {
      await store.recordError(record, {
        error: { kind: 'conflict', message: refusal, revision, at: new Date(now).toISOString() },
        owner,
        now,
      });
    }
    logger.warn('not republished: the version tags are immutable', { ...log, published: record.published?.digest, built: manifest.digest });
    return { kind: 'conflict', message: refusal };
  }
  const heldBy: TagHeldBy[] = [];
  // Renewed before a put attempt unless the lease was taken (or renewed) just now: a holder that
  // stalled past its lease (a slow registry, a long Retry-After) learns it lost the lease before it
  // puts, so it cannot land an index after its successor's.
  let leaseUntil = record.lease?.owner === owner ? record.lease.until : 0;
  const renewLease = async (): Promise<void> => {
    const nowMs = clock.now();
    if (leaseUntil - nowMs > PublishTiming.leaseMs - PublishTiming.renewAfterMs) return;
    if ((await store.acquireLease(record, { owner, now: nowMs, leaseMs: PublishTiming.leaseMs })) === undefined) throw new LeaseLost();
    leaseUntil = nowMs + PublishTiming.leaseMs;
  };
  // Whether a target tag may hold this index already, or another tool's manifest built on it: only
  // when it was put before (this digest is the one published, or a holder we took the lease over
  // from may have put it before dying), something was pushed under the tag (an index replicated from
  // another region), or the caller asks to put again. Otherwise nothing can hold an index nobody has
  // put yet, and the look would be a round trip for nothing.
  const mayHoldIt = (tag: string): boolean =>
    options.takenOver ||
    record.published?.digest === manifest.digest ||
    options.force === true ||
    reapply ||
    options.tagsPutBefore?.has(tag) === true;
  const pattern = await compileTagPattern(config.tagPattern);
  let floating: FloatingTagResult[] = [];
  try {
    for (const tag of tags) {
      // Remembered before the put, so the push event our own put causes is recognised and ignored:
      // in this process without a read; in the store when the tag pattern matches the tag (a tag it
      // does not match is never taken for a per-arch push, by events, the reconciler or a backfill).
      deps.recentPuts?.add(repository, tag, manifest.digest);
      if (matchTag(pattern, tag) !== undefined) await store.rememberPublishedTag({ repository, tag, digest: manifest.digest });
    }
    for (const tag of tags) {
      // A replay (the index put, then the process died before recording it), or an identical index
      // replicated from another region, needs no second put: PutImage has a small quota shared with
      // every docker push. A tool's manifest built on this index (SOCI, a signature) is not fought.
      const holding = mayHoldIt(tag)
        ? await classifyTagHolder(registry, repository, tag, { digest: manifest.digest, images })
        : ({ kind: 'absent' } as const);
      if (holding.kind === 'ours') continue;
      if (holding.kind === 'builds-on-ours') {
        heldBy.push({ tag, digest: holding.digest, note: holding.note });
        logger.info('tag left as another tool rewrote it on top of this index', {
          ...log,
          tag,
          holder: holding.digest,
          note: holding.note,
        });
        continue;
      }
      await putWithRetry(deps, repository, tag, manifest, renewLease);
    }
    // Floating tags (latest, 2.7) follow only complete releases, forward only; their store pointer
    // orders racing publishers, so these puts need no lease.
    if (missing.length === 0) {
      floating = await moveFloatingTags(deps, { repository, version, revision, manifest, config }, (tag, index) =>
        putWithRetry(deps, repository, tag, index, async () => {}),
      );
    }
  } catch (error) {
    if (error instanceof LeaseLost) {
      logger.warn('lease lost before a put; the new holder will publish', { ...log, digest: manifest.digest });
      return { kind: 'handed-over', reason: 'lease lost while publishing' };
    }
    const conflict = isDomainError(error) && error.code === ErrorCodes.tagImmutable;
    const message = describeError(error);
    const now = clock.now();
    const withError = await store.recordError(record, {
      error: { kind: conflict ? 'conflict' : 'failed', message, revision, at: new Date(now).toISOString() },
      owner,
      now,
    });
    await announceOutcome(deps, conflict ? 'conflict' : 'failed', withError, config);
    logger.error('publish failed', { ...log, digest: manifest.digest, error: message, conflict });
    deps.metrics?.count(conflict ? Counters.versionsInConflict : Counters.versionsFailed);
    return conflict ? { kind: 'conflict', message } : { kind: 'failed', message, retryable: isRetryable(error) };
  }
  const nowMs = clock.now();
  const at = new Date(nowMs).toISOString();
  const published: PublishedIndex = {
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    size: manifest.size,
    tags,
    at,
    revision,
    ...(missing.length > 0 ? { missingPlatforms: missing } : {}),
    ...(heldBy.length > 0 ? { heldBy } : {}),
  };
  const outcome = missing.length > 0 ? VersionOutcomes.partiallyPublished : VersionOutcomes.published;
  // The usual case: the publish recorded in one write (nothing changed while we held the lease),
  // which claims its announcement too. Where events only go to the log, the claim is marked sent and
  // the lease given up in that write. Otherwise the event is sent while we still hold the lease (so
  // it goes out before any later index can be put), and one more write marks it sent and gives the
  // lease up; the claim lives as long as the lease, so a publisher that dies before sending leaves it
  // to the reconciler once its lease expires (docs/events.md).
  const logOnly = deps.events.delivers === false;
  const { claim, event } = announcementOf(
    outcome,
    { ...record, published },
    config,
    nowMs,
    logOnly ? AnnouncementStates.sent : AnnouncementStates.pending,
  );
  const claiming = !isAnnounced(record, claim);
  const sending = claiming && !logOnly;
  if (sending) {
    try {
      await renewLease(); // only when taken more than renewAfterMs ago: the claim gets the whole lease to send in
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
      logger.warn('lease lost before recording the publish; the new holder will record it', { ...log, digest: manifest.digest });
      return { kind: 'handed-over', reason: 'lease lost while publishing' };
    }
  }
  const announcement = sending ? { ...claim, until: leaseUntil } : claim;
  // The history entries the publish implies go in the same write (the write clears the error it supersedes).
  const { error: _cleared, ...withoutError } = record;
  const history =
    options.history === undefined
      ? undefined
      : historyWriteFor(options.history.known, { ...withoutError, published, updatedAt: at }, options.history.context ?? {}, nowMs);
  const written = await store.completePublish(record, {
    owner,
    published,
    now: nowMs,
    release: !sending,
    ...(claiming ? { announcement: { claim: announcement, now: nowMs } } : {}),
    ...(history === undefined ? {} : { history }),
  });
  if (written !== undefined) {
    done.record = written;
    if (history !== undefined) done.history = history.history;
    if (sending) {
      done.released = await sendPublishAnnouncement(deps, written, { event, until: leaseUntil }, { owner, expectedRevision: revision });
    } else {
      done.released = true;
      // Only a log line: it cannot fail in a way worth a retry, so it was marked sent with the publish.
      if (claiming) {
        await deps.events
          .announce(event)
          .catch((error: unknown) => logger.warn('outcome not logged', { ...log, error: describeError(error) }));
      }
    }
  } else {
    // The long way: images changed meanwhile, or the lease was lost, or someone else claimed the
    // announcement: record the publish alone (the caller then gives the lease up), then announce.
    const recorded = await store.recordPublished(record, { owner, published, now: nowMs });
    if (recorded === undefined) {
      // Our lease expired mid-publish and another publisher took over; it publishes the latest revision.
      logger.warn('lease lost while publishing; the new holder will publish', { ...log, digest: manifest.digest });
      return { kind: 'handed-over', reason: 'lease lost while publishing' };
    }
    done.record = recorded;
    await announceOutcome(deps, outcome, recorded, config);
  }
  const moved = floating.filter((f) => f.outcome === 'moved').map((f) => f.tag);
  logger.info('published', {
    ...log,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    tags,
    floating: moved,
    platforms: images.map((i) => i.key),
  });
  measurePublish(deps.metrics ?? noMetrics, images, missing.length > 0, clock.now());
  return { kind: 'published', digest: manifest.digest, revision, tags };
}

/** Whether the record's current revision is published exactly as this index, tags and missing platforms. */
export function isPublishedAs(record: VersionRecord, digest: string, tags: readonly string[], missing: readonly string[]): boolean {
  const { published } = record;
  if (published?.revision !== record.revision || published.digest !== digest) return false;
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item) => b.includes(item));
  return same(published.tags, tags) && same(published.missingPlatforms ?? [], missing);
}

/**
 * With immutable tags a version is published once: a rebuild recorded later would need the tag
 * moved, which the registry refuses, so it is refused here with what to do instead of put and failed.
 */
function immutableRefusal(config: RepositoryConfig, record: VersionRecord, built: string, tags: readonly string[]): string | undefined {
  const published = record.published;
  if (config.tagMutability !== 'immutable' || published === undefined || published.digest === built) return undefined;
  const rebuilt = Object.values(record.images)
    .filter((image) => image.pushedAt > published.at)
    .map((image) => `${image.tag} (${image.key})`);
  return (
    `version ${record.version} was published as ${published.digest} under ${published.tags.join(', ')}, and the repository's tags are immutable ` +
    `(tagMutability: immutable), so the images recorded since${rebuilt.length > 0 ? ` (${rebuilt.join(', ')})` : ''} are not published (they would make ${built}). ` +
    `Publish the rebuild under a new version (push new per-arch tags), or push the published images back to their per-arch tags ` +
    `(tags ${tags.join(', ')} keep ${published.digest})`
  );
}

/** Another publisher holds the lease now (ours expired): stop without putting. */
class LeaseLost extends Error {}

async function putWithRetry(
  deps: Dependencies,
  repository: string,
  tag: string,
  manifest: Parameters<Dependencies['registry']['putManifest']>[2],
  beforeAttempt: () => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await beforeAttempt();
    try {
      await deps.registry.putManifest(repository, tag, manifest);
      return;
    } catch (error) {
      if (!isRetryable(error) || attempt >= PublishTiming.putAttempts) throw error;
      const retryAfterSeconds = isDomainError(error) ? Number(error.details.retryAfterSeconds) : NaN;
      const delay =
        Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0
          ? Math.min(retryAfterSeconds * 1000, 5_000)
          : PublishTiming.putBackoffMs * 2 ** (attempt - 1);
      deps.logger.warn('put failed; retrying', { repository, tag, attempt, delayMs: delay, error: describeError(error) });
      await deps.clock.sleep(delay);
    }
  }
}

/** Counts a publish and how long its images waited for it, from the images the index holds. */
function measurePublish(metrics: Metrics, images: readonly Pick<RecordedImage, 'pushedAt'>[], partial: boolean, nowMs: number): void {
  metrics.count(partial ? Counters.versionsPartiallyPublished : Counters.versionsPublished);
  const pushed = images.map((image) => Date.parse(image.pushedAt)).filter((t) => Number.isFinite(t));
  if (pushed.length === 0) return;
  metrics.observe(Timings.firstPushToPublish, Math.max(0, nowMs - Math.min(...pushed)) / 1000);
  metrics.observe(Timings.lastPushToPublish, Math.max(0, nowMs - Math.max(...pushed)) / 1000);
}
