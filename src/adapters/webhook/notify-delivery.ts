import { describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/ports.ts';
import { CLOUDEVENTS_CONTENT_TYPE, SIGNATURE_HEADER, signBody } from './cloud-event.ts';
import type { DynamoDbOutbox, OutboxItem } from './dynamodb-outbox.ts';
import { redactUrl } from './redact-url.ts';

/** Timing of deliveries: exponential back-off from `firstRetryMs` up to `maxRetryMs`, never giving up. */
export interface DeliveryTimingOptions {
  readonly firstRetryMs: number;
  readonly maxRetryMs: number;
  readonly pollMs: number;
  readonly requestTimeoutMs: number;
}

export const DeliveryTiming: DeliveryTimingOptions = {
  firstRetryMs: 1_000,
  maxRetryMs: 300_000,
  /** How often the outbox is looked at when nothing wakes the worker (a retry falling due). */
  pollMs: 1_000,
  requestTimeoutMs: 10_000,
};

export interface NotifyDeliveryOptions {
  readonly outbox: DynamoDbOutbox;
  /** The URLs deliveries may go to (NOTIFY_URL); one queued for another URL is dropped with a warning. */
  readonly urls: readonly string[];
  /** The HMAC key; never logged. */
  readonly secret: string;
  readonly logger: Logger;
  readonly timing?: Partial<DeliveryTimingOptions>;
  readonly now?: () => number;
}

/**
 * Drains the outbox: POSTs each queued event to its URL, signed, and removes it only after a 2xx.
 * Anything else (a refused connection, a timeout, a 500, a 404) is logged and tried again later with
 * exponential back-off, however long the receiver stays away. Started, it first delivers whatever
 * a previous run left queued (to the URLs still configured).
 */
export class NotifyDelivery {
  readonly #outbox: DynamoDbOutbox;
  readonly #urls: ReadonlySet<string>;
  readonly #secret: string;
  readonly #logger: Logger;
  readonly #timing: DeliveryTimingOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  /** Aborts the request in flight when stopping, so a hanging receiver does not hold the runner up. */
  #abort = new AbortController();

  constructor(options: NotifyDeliveryOptions) {
    this.#outbox = options.outbox;
    this.#urls = new Set(options.urls);
    this.#secret = options.secret;
    this.#logger = options.logger;
    this.#timing = { ...DeliveryTiming, ...options.timing };
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#stopped = false;
    this.#abort = new AbortController();
    this.wake();
  }

  /** Looks at the outbox now (an event was just queued). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#pass()
      .catch((error: unknown) =>
        this.#logger.error('notify: a delivery pass failed; trying again shortly', { error: describeError(error) }),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.wake();
          return;
        }
        // Without URLs the start-up pass (dropping what an earlier run queued) is all there is to do.
        if (this.#urls.size > 0) this.#timer = setTimeout(() => this.wake(), this.#timing.pollMs);
      });
  }

  /** Stops, cutting a delivery in progress (it counts as a failed attempt); what is queued stays for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort(new Error('the runner is stopping'));
    await this.#running;
  }

  async #pass(): Promise<void> {
    for (const item of await this.#outbox.list()) {
      if (this.#stopped) return;
      if (!this.#urls.has(item.url)) {
        // Queued by an earlier run whose NOTIFY_URL listed this receiver; the user has taken it out.
        await this.#outbox.remove(item);
        this.#logger.warn('notify: dropped a queued event: NOTIFY_URL no longer lists its URL', {
          eventId: item.eventId,
          url: redactUrl(item.url),
          attempts: item.attempts,
        });
        continue;
      }
      if (item.nextAt > this.#now()) continue;
      await this.#deliver(item);
    }
  }

  async #deliver(item: OutboxItem): Promise<void> {
    const log = { eventId: item.eventId, url: redactUrl(item.url), attempt: item.attempts + 1 };
    let failure: string;
    try {
      const response = await fetch(item.url, {
        method: 'POST',
        headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, [SIGNATURE_HEADER]: signBody(item.body, this.#secret) },
        body: item.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.#timing.requestTimeoutMs), this.#abort.signal]),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) {
        await this.#outbox.remove(item);
        this.#logger.info('notify: event delivered', { ...log, status: response.status });
        return;
      }
      failure = `HTTP ${response.status}`;
    } catch (error) {
      failure = describeError(error);
    }
    const delayMs = Math.min(this.#timing.firstRetryMs * 2 ** item.attempts, this.#timing.maxRetryMs);
    await this.#outbox.postpone(item, item.attempts + 1, this.#now() + delayMs);
    this.#logger.warn('notify: delivery failed; kept queued and retried later', { ...log, error: failure, retryInMs: delayMs });
  }
}
