import type { VersionEvents } from '../../src/core/ports.ts';
import type { VersionEvent } from '../../src/core/version-events.ts';

/** A {@link VersionEvents} that keeps every event it took; `failNext(n)` makes the next n announces throw. */
export class RecordingVersionEvents implements VersionEvents {
  readonly events: VersionEvent[] = [];
  /** Every call, failed ones included. */
  attempts = 0;
  #failures = 0;
  /** Called with each event before it is taken (to look at the store at that moment). */
  onAnnounce: ((event: VersionEvent) => void | Promise<void>) | undefined;

  failNext(count: number): void {
    this.#failures = count;
  }

  async announce(event: VersionEvent): Promise<void> {
    this.attempts++;
    if (this.#failures > 0) {
      this.#failures--;
      throw Object.assign(new Error('destination unavailable'), { retryable: true });
    }
    await this.onAnnounce?.(event);
    this.events.push(structuredClone(event));
  }

  /** `outcome repository:version` of every event taken, in order. */
  summary(): string[] {
    return this.events.map((e) => `${e.outcome} ${e.data.repository}:${e.data.version}`);
  }
}
