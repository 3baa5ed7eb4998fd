import { describeError } from './errors.ts';
import type { Announcements, LeaseRelease, UseCaseDependencies, VersionKey } from './ports.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { announcementOrder, buildVersionEvent, type VersionEvent, type VersionOutcome, VersionOutcomes } from './version-events.ts';
import { type Announcement, type AnnouncementState, AnnouncementStates, type VersionRecord } from './version-record.ts';

/** What announcing an outcome needs: the claims on the record, the destination, the time and the log. */
type AnnounceDependencies = UseCaseDependencies<Announcements, 'clock' | 'events' | 'logger'>;

/** Timing of announcing; a claim outlives every attempt of its sender, so two senders never overlap. */
export const AnnounceTiming = {
  /** How long a `pending` claim is its sender's alone (then anyone may send it again). */
  claimMs: 60_000,
  /**
   * How far back the reconciler looks for a publish that was never announced (its publisher died
   * between recording it and claiming the announcement). A version published longer ago without any
   * announcement on its record predates events and is not announced after the fact.
   */
  missedPublishWindowMs: 24 * 3_600_000,
  attempts: 3,
  backoffMs: 200,
} as const;

/**
 * Announces `outcome` of a version once: call it after the outcome is recorded (and, for a publish,
 * after the registry holds the tags), with the record the store returned; undefined (the write lost
 * a race) announces nothing.
 *
 * The version record carries the claim: a conditional write takes it (`pending`, with the exact
 * event) before the event is sent, so concurrent callers and redeliveries send it once, and a
 * repeat of an outcome already announced sends nothing. A send that keeps failing leaves the claim
 * pending and expired; the reconciler sends it again ({@link resendPendingAnnouncement}) with the
 * same id. Never throws: the outcome itself is recorded, and a failed announcement is logged.
 */
export async function announceOutcome(
  deps: AnnounceDependencies,
  outcome: VersionOutcome,
  record: VersionRecord | undefined,
  config: RepositoryConfig | undefined,
): Promise<void> {
  if (record === undefined) return;
  const { repository, version } = record;
  const nowMs = deps.clock.now();
  const { claim: announcement, event } = announcementOf(outcome, record, config, nowMs, AnnouncementStates.pending);
  const log = { repository, version, outcome, eventId: event.id, revision: event.data.revision };
  // Read-side shortcut for the common repeat (a reconciler pass finding the same stale version) and
  // for an outcome a newer one has superseded: the claim would fail, so no write is spent on it.
  if (isAnnounced(record, announcement)) return;
  try {
    if (!(await deps.store.claimAnnouncement(record, { claim: announcement, now: nowMs }))) {
      deps.logger.debug('outcome already announced (or being announced, or superseded)', log);
      return;
    }
  } catch (error) {
    deps.logger.error('outcome not announced: the claim could not be written', { ...log, error: describeError(error) });
    return;
  }
  await sendClaimed(deps, record, event, { until: announcement.until });
}

/**
 * The claim on announcing `outcome` of `record` and the event it announces: `pending` carries the
 * event (a sender that dies leaves it for the reconciler); `sent` does not (nothing left to send).
 */
export function announcementOf(
  outcome: VersionOutcome,
  record: VersionRecord,
  config: RepositoryConfig | undefined,
  nowMs: number,
  state: AnnouncementState,
): { claim: Announcement; event: VersionEvent } {
  const event = buildVersionEvent(outcome, record, config, new Date(nowMs).toISOString());
  const base = { id: event.id, revision: event.data.revision, order: announcementOrder(outcome, event.data.revision) };
  const claim: Announcement =
    state === AnnouncementStates.pending
      ? { ...base, state, until: nowMs + AnnounceTiming.claimMs, event }
      : { ...base, state, until: nowMs };
  return { claim, event };
}

/** Whether the record shows `claim`'s outcome announced already, or superseded by a later one (a claim would fail). */
export function isAnnounced(record: VersionRecord, claim: Announcement): boolean {
  const last = record.announcement;
  return last !== undefined && (last.order > claim.order || (last.id === claim.id && last.state === AnnouncementStates.sent));
}

/**
 * Announces the publish a record holds if nobody did: its publisher died (or the store failed)
 * between recording the publish and claiming the announcement. The reconciler calls it for every
 * version it checks; a no-op for a version announced already.
 */
export async function announceMissedPublish(
  deps: AnnounceDependencies,
  record: VersionRecord,
  config: RepositoryConfig | undefined,
): Promise<void> {
  const published = record.published;
  if (published === undefined || published.revision !== record.revision) return;
  if (record.announcement === undefined && deps.clock.now() - Date.parse(published.at) > AnnounceTiming.missedPublishWindowMs) return;
  const partial = (published.missingPlatforms?.length ?? 0) > 0;
  await announceOutcome(deps, partial ? VersionOutcomes.partiallyPublished : VersionOutcomes.published, record, config);
}

/**
 * Sends again an announcement whose sender died or gave up (`pending` past its claim), with the
 * same event and id. The reconciler calls it for every version it checks; a no-op otherwise.
 */
export async function resendPendingAnnouncement(deps: AnnounceDependencies, record: VersionRecord): Promise<void> {
  const pending = record.announcement;
  const nowMs = deps.clock.now();
  if (pending?.state !== AnnouncementStates.pending || pending.until >= nowMs || pending.event === undefined) return;
  const { repository, version } = record;
  try {
    const claimed = await deps.store.claimAnnouncement(record, {
      claim: { ...pending, until: nowMs + AnnounceTiming.claimMs },
      now: nowMs,
    });
    if (!claimed) return;
  } catch (error) {
    deps.logger.error('pending announcement not resent: the claim could not be written', {
      repository,
      version,
      eventId: pending.id,
      error: describeError(error),
    });
    return;
  }
  deps.logger.info('resending an announcement left pending', { repository, version, eventId: pending.id, outcome: pending.event.outcome });
  await sendClaimed(deps, record, pending.event, { until: nowMs + AnnounceTiming.claimMs });
}

/**
 * Sends the announcement of a publish that the publish write claimed (`claim`: pending, with its
 * event, claimed until the publisher's lease expires), then marks it sent and gives the lease up in
 * one write; a send that keeps failing is handed back to the reconciler in that write instead.
 * True when the lease was given up; false when the write could not (images changed meanwhile, the
 * lease was lost, or the store failed): the claim is then settled alone, and the caller releases
 * the lease itself (`releaseLease` then says whether to publish again).
 */
export async function sendPublishAnnouncement(
  deps: AnnounceDependencies,
  key: VersionKey,
  claim: { readonly event: VersionEvent; readonly until: number },
  release: LeaseRelease,
): Promise<boolean> {
  return sendClaimed(deps, key, claim.event, { until: claim.until, release });
}

/**
 * Sends a claimed event, at most {@link AnnounceTiming.attempts} times and only while the claim
 * lives (`until`: after it, anyone may claim and send it again), then settles the claim. With
 * `release`, the settling write gives the publish lease up too; true when it did.
 */
async function sendClaimed(
  deps: AnnounceDependencies,
  key: VersionKey,
  event: VersionEvent,
  claimed: { until: number; release?: LeaseRelease },
): Promise<boolean> {
  const { repository, version } = key;
  const log = { repository, version, outcome: event.outcome, eventId: event.id, revision: event.data.revision };
  for (let attempt = 1; ; attempt++) {
    if (deps.clock.now() > claimed.until) {
      // Sending now could overlap another sender's: whoever claims it next sends it, with the same id.
      deps.logger.error('announcing stopped: its claim expired; left pending for the reconciler to send again', {
        ...log,
        attempts: attempt - 1,
      });
      return false;
    }
    try {
      await deps.events.announce(event);
    } catch (error) {
      if (attempt < AnnounceTiming.attempts) {
        deps.logger.warn('announcing failed; retrying', { ...log, attempt, error: describeError(error) });
        await deps.clock.sleep(AnnounceTiming.backoffMs * 2 ** (attempt - 1));
        continue;
      }
      deps.logger.error('announcing failed; left pending for the reconciler to send again', {
        ...log,
        attempts: attempt,
        error: describeError(error),
      });
      return settleClaim(deps, key, { id: event.id, how: 'retry' }, claimed.release, (settleError) =>
        deps.logger.error('could not hand the announcement back; it is resent once its claim expires', {
          ...log,
          error: describeError(settleError),
        }),
      );
    }
    const released = await settleClaim(deps, key, { id: event.id, how: 'sent' }, claimed.release, (error) =>
      // Sent but not marked: once the claim expires the reconciler sends it again, with the same id.
      deps.logger.warn('announced, but not marked sent; it may be sent again with the same id', { ...log, error: describeError(error) }),
    );
    deps.logger.info('outcome announced', log);
    return released;
  }
}

/**
 * Settles a claim, with the lease's release in the same write when asked; when that write cannot
 * release (images changed meanwhile, or the store failed), settles alone. True when the lease was released.
 */
async function settleClaim(
  deps: AnnounceDependencies,
  key: VersionKey,
  settle: { id: string; how: 'sent' | 'retry' },
  release: LeaseRelease | undefined,
  onError: (error: unknown) => void,
): Promise<boolean> {
  const { id, how } = settle;
  if (release !== undefined) {
    try {
      if (await deps.store.settleAnnouncement(key, { id, how, release })) return true;
    } catch (error) {
      deps.logger.warn('could not settle the announcement and release the lease in one write; settling alone', {
        repository: key.repository,
        version: key.version,
        eventId: id,
        error: describeError(error),
      });
    }
  }
  await deps.store.settleAnnouncement(key, { id, how }).catch(onError);
  return false;
}
