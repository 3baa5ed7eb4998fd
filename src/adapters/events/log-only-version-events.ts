import type { Logger, VersionEvents } from '../../core/ports.ts';
import type { VersionEvent } from '../../core/version-events.ts';

/**
 * Where events go when no destination is configured (the local runner without NOTIFY_URL, a test
 * harness): each one is logged, never dropped silently, and counts as announced.
 */
export class LogOnlyVersionEvents implements VersionEvents {
  readonly #logger: Logger;
  /** Nothing is delivered: announcing is a log line. */
  readonly delivers = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async announce(event: VersionEvent): Promise<void> {
    const { repository, version, revision } = event.data;
    this.#logger.info('event not sent: no destination configured', {
      eventId: event.id,
      outcome: event.outcome,
      repository,
      version,
      revision,
    });
  }
}
