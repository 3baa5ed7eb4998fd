import { compareArrival, type InboxEntry } from '../../adapters/inbox/inbox-entry.ts';
import { renderCounter } from '../../adapters/observability/prometheus-counters.ts';
import { describeError, isRetryable } from '../../core/errors.ts';
import type { Logger } from '../../core/ports.ts';
import type { EcrImageActionEvent } from '../registry/registry-events.ts';
import type { ImagePushInvoker } from '../registry/registry-webhook.ts';
import { type LaneRunResult, LaneScheduler } from './lane-scheduler.ts';
import { ProcessedEventIds } from './processed-event-ids.ts';

/** Where the inbox keeps what it recorded (JournalInbox, a file under the data folder; a Map in tests). */
export interface InboxStore {
  /** One write; false when an event with this id is recorded already. */
  add(entry: InboxEntry): Promise<boolean>;
  /** Everything recorded, in order of arrival. */
  list(): Promise<InboxEntry[]>;
  /** Forgets handled events; the inbox hands over as many as finished while the last removal ran. */
  remove(ids: readonly string[]): Promise<void>;
}

/** One tagged manifest push from a registry notification. */
export interface PushNotice {
  readonly id: string;
  readonly event: EcrImageActionEvent;
}

/** What {@link RegistryInbox.accept} did with a push. */
export type AcceptOutcome = 'recorded' | 'recorded-already' | 'handled-already' | 'own-put';

export const InboxDefaults = {
  /**
   * Pushes handled at the same time. The handler mostly waits on the registry and on dynalite, two
   * processes of their own, so a few handlers in flight keep the machine busy; on the 2-core bench
   * machine 2, 8 and 16 finished a burst no sooner than 4 (docs/performance.md, "How many pushes at
   * once"), and each one more holds its push's objects in memory.
   */
  concurrency: 4,
  firstRetryMs: 1_000,
  maxRetryMs: 60_000,
} as const;

export interface RegistryInboxOptions {
  readonly store: InboxStore;
  /** The on-image-push handler; a retryable throw is tried again later, any other is a refusal. */
  readonly handle: ImagePushInvoker;
  /**
   * The lane of a push: pushes of one lane are handled one at a time, in order. The version the tag
   * belongs to, so one version's pushes never race each other; only scheduling depends on it.
   */
  readonly laneOf: (event: EcrImageActionEvent) => Promise<string>;
  /**
   * Whether a push is of an index this process put itself (the push event our own put causes), which
   * the handler ignores before anything else: such a push is answered without being recorded or
   * handled. Lost with the process, as is what it would have done: nothing.
   */
  readonly isOwnPut?: (event: EcrImageActionEvent) => boolean;
  /**
   * Called for a push that has to wait behind an earlier push of its lane: the reads its handler
   * will make by digest can start now (PrefetchingImageRegistry), overlapping the wait.
   */
  readonly readAhead?: (event: EcrImageActionEvent) => void;
  readonly logger: Logger;
  readonly concurrency?: number;
  readonly processed?: ProcessedEventIds;
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
  readonly now?: () => number;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

interface Job {
  readonly id: string;
  readonly event: EcrImageActionEvent;
  attempts: number;
  /** The store's write of this push, when this run made it (the push leaves the store only after it). */
  readonly recording?: Promise<unknown>;
}

/**
 * The local runner's durable inbox of registry notifications. The webhook calls {@link accept},
 * which records the push with one write and returns, so the registry's one delivery lane is free
 * again at once; a pool of workers then hands the pushes to the on-image-push handler: pushes of
 * one version in order, different versions side by side ({@link LaneScheduler}). A push leaves the
 * store only after its handler finished (or refused it for good, with an error line), so a runner
 * killed in between finds it again at {@link start}. The handler is idempotent: a push handled
 * twice (killed after the handler, before the removal) changes nothing.
 */
export class RegistryInbox {
  readonly #store: InboxStore;
  readonly #handle: ImagePushInvoker;
  readonly #laneOf: RegistryInboxOptions['laneOf'];
  readonly #isOwnPut: NonNullable<RegistryInboxOptions['isOwnPut']>;
  readonly #readAhead: RegistryInboxOptions['readAhead'];
  readonly #logger: Logger;
  readonly #processed: ProcessedEventIds;
  readonly #firstRetryMs: number;
  readonly #maxRetryMs: number;
  readonly #now: () => number;
  readonly #scheduler: LaneScheduler<Job>;
  /** Lanes are found one push at a time, so pushes reach their lanes in the order they arrived. */
  #intake: Promise<void> = Promise.resolve();
  #seq = 0;
  /**
   * The pushes queued and not finished, from the moment each is queued (before its lane is known):
   * their number is what is pending, and a redelivery of one is recorded again if need be, but not
   * queued twice.
   */
  readonly #queued = new Set<string>();
  /** Handled pushes not yet removed from the store, and the removal running now. */
  readonly #toForget: string[] = [];
  #forgetting: Promise<void> | undefined;
  readonly #counts = { recorded: 0, resumed: 0, handled: 0, refused: 0, retries: 0, ownPuts: 0 };

  constructor(options: RegistryInboxOptions) {
    this.#store = options.store;
    this.#handle = options.handle;
    this.#laneOf = options.laneOf;
    this.#isOwnPut = options.isOwnPut ?? (() => false);
    this.#readAhead = options.readAhead;
    this.#logger = options.logger;
    this.#processed = options.processed ?? new ProcessedEventIds();
    this.#firstRetryMs = options.firstRetryMs ?? InboxDefaults.firstRetryMs;
    this.#maxRetryMs = options.maxRetryMs ?? InboxDefaults.maxRetryMs;
    this.#now = options.now ?? Date.now;
    this.#scheduler = new LaneScheduler<Job>({
      concurrency: options.concurrency ?? InboxDefaults.concurrency,
      run: (job) => this.#run(job),
      onCrash: (error, job) => {
        this.#queued.delete(job.id);
        this.#logger.error('registry inbox: handling a push crashed; it stays recorded for the next start', {
          id: job.id,
          error: describeError(error),
        });
      },
      ...(options.setTimer === undefined ? {} : { setTimer: options.setTimer }),
      ...(options.clearTimer === undefined ? {} : { clearTimer: options.clearTimer }),
    });
  }

  /** Pushes recorded and not handled yet (including those running or waiting for a retry). */
  get pending(): number {
    return this.#queued.size;
  }

  /** Resumes what an earlier run recorded and did not finish; resolves with how many. */
  async start(): Promise<number> {
    const entries = (await this.#store.list()).sort(compareArrival);
    for (const entry of entries) {
      let event: EcrImageActionEvent;
      try {
        event = JSON.parse(entry.body) as EcrImageActionEvent;
      } catch (error) {
        this.#logger.error('registry inbox: dropped a recorded push that does not parse', { id: entry.id, error: describeError(error) });
        await this.#store.remove([entry.id]);
        continue;
      }
      this.#schedule({ id: entry.id, event, attempts: 0 });
    }
    this.#counts.resumed += entries.length;
    if (entries.length > 0) this.#logger.info(`registry inbox: resuming ${entries.length} push(es) recorded before the last stop`);
    await this.#intake;
    return entries.length;
  }

  /**
   * Records a push durably (one write) and queues it; resolves once it is recorded. Rejects when
   * the store refused the write: the webhook then answers 500 and the registry sends it again.
   *
   * The push is queued as the write starts, not after it: its handler runs beside the write (the
   * `fdatasync` is off the push's way to its index), the webhook still answers only once the push is
   * durable, and the push leaves the store only after both. Handled before its write failed, it is
   * sent again by the registry and then known as handled (or, if still running, recorded again).
   */
  async accept(notice: PushNotice): Promise<AcceptOutcome> {
    if (this.#processed.has(notice.id)) return 'handled-already';
    if (this.#isOwnPut(notice.event)) {
      this.#counts.ownPuts += 1;
      return 'own-put';
    }
    const entry: InboxEntry = { id: notice.id, body: JSON.stringify(notice.event), receivedAt: this.#now(), seq: ++this.#seq };
    const recording = this.#store.add(entry);
    // A redelivery of a push on its way (queued by this run, or resumed at start) is not queued twice.
    if (!this.#queued.has(notice.id)) this.#schedule({ id: notice.id, event: notice.event, attempts: 0, recording });
    if (!(await recording)) return 'recorded-already';
    this.#counts.recorded += 1;
    return 'recorded';
  }

  /** Resolves once every push queued so far was handled (tests; a push waiting for a retry keeps it waiting). */
  async idle(): Promise<void> {
    await this.#intake;
    await this.#scheduler.idle();
    await this.#forgetting;
  }

  /** Starts no more pushes and waits for those running; the rest stay recorded for the next start. */
  async stop(): Promise<void> {
    // At once, not after the intake: the caller may close dynalite soon after.
    const stopping = this.#scheduler.stop();
    await this.#intake;
    await stopping;
    // The caller closes the store next: a removal still running would write to a closed journal.
    await this.#forgetting;
  }

  /** The inbox's figures in the Prometheus text format, for `GET /metrics`. */
  metricsText(): string {
    return [
      renderCounter(
        'manifest_assembler_inbox_recorded_total',
        'Registry push events recorded in the inbox by this run.',
        this.#counts.recorded,
      ),
      renderCounter(
        'manifest_assembler_inbox_resumed_total',
        'Push events found in the inbox at start (recorded before a stop or a kill).',
        this.#counts.resumed,
      ),
      renderCounter('manifest_assembler_inbox_handled_total', 'Push events the on-image-push handler finished.', this.#counts.handled),
      renderCounter(
        'manifest_assembler_inbox_refused_total',
        'Push events the handler refused for good (logged, then dropped).',
        this.#counts.refused,
      ),
      renderCounter('manifest_assembler_inbox_retries_total', 'Failed handler runs that were scheduled again.', this.#counts.retries),
      renderCounter(
        'manifest_assembler_inbox_own_puts_total',
        'Push events of indexes this runner put itself, answered without being recorded or handled.',
        this.#counts.ownPuts,
      ),
      '# HELP manifest_assembler_inbox_pending Push events recorded and not yet handled.\n',
      '# TYPE manifest_assembler_inbox_pending gauge\n',
      `manifest_assembler_inbox_pending ${this.#queued.size}\n`,
    ].join('');
  }

  #schedule(job: Job): void {
    this.#queued.add(job.id);
    this.#intake = this.#intake.then(async () => {
      let lane: string;
      try {
        lane = await this.#laneOf(job.event);
      } catch (error) {
        // Only the order of handling depends on the lane, never the outcome: the tag is lane enough.
        lane = `${job.event.detail['repository-name']}:${job.event.detail['image-tag']}`;
        this.#logger.debug('registry inbox: no version lane for a push; it gets a lane of its tag', {
          id: job.id,
          error: describeError(error),
        });
      }
      if (this.#scheduler.push(lane, job)) this.#readAhead?.(job.event);
    });
  }

  async #run(job: Job): Promise<LaneRunResult> {
    const { 'repository-name': repository, 'image-tag': tag, 'image-digest': digest } = job.event.detail;
    const detail = { id: job.id, repository, tag, digest };
    try {
      await this.#handle(job.event);
      this.#counts.handled += 1;
      this.#logger.info('registry inbox: handled a push', detail);
    } catch (error) {
      if (isRetryable(error)) {
        job.attempts += 1;
        const afterMs = Math.min(this.#firstRetryMs * 2 ** (job.attempts - 1), this.#maxRetryMs);
        this.#counts.retries += 1;
        // Kept recorded, and the version's later pushes wait behind it: handled in order, or not at all yet.
        this.#logger.error('registry inbox: the push handler failed; trying again later', {
          ...detail,
          attempt: job.attempts,
          retryInMs: afterMs,
          error: describeError(error),
        });
        return { kind: 'retry', afterMs };
      }
      // On AWS this event would land in the dead-letter queue after Lambda's retries.
      this.#counts.refused += 1;
      this.#logger.error('registry inbox: the push handler refused the event for good; dropped (on AWS: the dead-letter queue)', {
        ...detail,
        error: describeError(error),
      });
    }
    // Its write is long done by now (a sync against a handler's round trips); a removal must not overtake it.
    await job.recording?.catch(() => undefined);
    this.#processed.add(job.id);
    this.#queued.delete(job.id);
    this.#forget(job.id);
    return { kind: 'done' };
  }

  /**
   * Removes a handled push from the store, without holding up its lane. Removals are grouped: the
   * first goes at once, those that finish while it runs go together in the next request (in a
   * burst, one request for many pushes instead of one each). A push still recorded when the runner
   * dies is handled again at the next start, which changes nothing.
   */
  #forget(id: string): void {
    this.#toForget.push(id);
    this.#forgetting ??= this.#removeForgotten();
  }

  async #removeForgotten(): Promise<void> {
    while (this.#toForget.length > 0) {
      const ids = this.#toForget.splice(0);
      try {
        await this.#store.remove(ids);
      } catch (error) {
        this.#logger.warn('registry inbox: could not remove handled pushes; the next start handles them again (harmless)', {
          ids,
          error: describeError(error),
        });
      }
    }
    this.#forgetting = undefined;
  }
}
