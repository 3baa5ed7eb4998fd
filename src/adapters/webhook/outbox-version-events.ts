import type { Logger, VersionEvents } from '../../core/ports.ts';
import type { VersionEvent } from '../../core/version-events.ts';
import { formatCloudEvent } from './cloud-event.ts';
import type { DynamoDbOutbox } from './dynamodb-outbox.ts';

/**
 * The {@link VersionEvents} of the local runner: an event counts as announced once it is queued
 * durably for every NOTIFY_URL; {@link NotifyDelivery} then POSTs it. Without URLs each event is
 * logged as not sent.
 */
export class OutboxVersionEvents implements VersionEvents {
  readonly #outbox: DynamoDbOutbox;
  readonly #urls: readonly string[];
  readonly #registryUrl: string;
  readonly #logger: Logger;
  readonly #queued: () => void;

  constructor(options: { outbox: DynamoDbOutbox; urls: readonly string[]; registryUrl: string; logger: Logger; onQueued: () => void }) {
    this.#outbox = options.outbox;
    this.#urls = options.urls;
    this.#registryUrl = options.registryUrl;
    this.#logger = options.logger;
    this.#queued = options.onQueued;
  }

  /** Without NOTIFY_URL an event is only logged. */
  get delivers(): boolean {
    return this.#urls.length > 0;
  }

  async announce(event: VersionEvent): Promise<void> {
    const { repository, version } = event.data;
    if (this.#urls.length === 0) {
      this.#logger.info('event not sent: NOTIFY_URL is not set', { eventId: event.id, outcome: event.outcome, repository, version });
      return;
    }
    await this.#outbox.enqueue(event.id, formatCloudEvent(event, this.#registryUrl), this.#urls, Date.now());
    this.#logger.debug('notify: event queued', { eventId: event.id, outcome: event.outcome, repository, version, urls: this.#urls.length });
    this.#queued();
  }
}
