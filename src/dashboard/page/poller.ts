/**
 * Runs `tick` again and again: every `intervalMs` while the page is visible, every `hiddenMs` while
 * it is hidden, and after a failure with a doubling delay up to `maxBackoffMs`. Why polling and
 * not server-sent events: a deployed API is API Gateway in front of Lambda, which answers each
 * request whole and cannot hold a stream open; polling with ETags works the same locally, through
 * the signing proxy and on AWS, and an unchanged state costs an empty 304.
 */
export interface PollerOptions {
  readonly intervalMs: number;
  readonly hiddenMs: number;
  readonly maxBackoffMs: number;
  /** Told after each tick: null when it succeeded, else the error and the delay before the next try. */
  readonly onResult: (failure: { error: unknown; retryInMs: number } | null) => void;
}

export class Poller {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #running = false;
  #again = false;

  constructor(
    private readonly tick: () => Promise<void>,
    private readonly options: PollerOptions,
  ) {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.now();
    });
  }

  /** Runs a tick now (or right after the one in progress) and reschedules. */
  now(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    void this.#run();
  }

  async #run(): Promise<void> {
    this.#running = true;
    let delay: number;
    try {
      await this.tick();
      this.#failures = 0;
      delay = document.visibilityState === 'hidden' ? this.options.hiddenMs : this.options.intervalMs;
      this.options.onResult(null);
    } catch (error) {
      this.#failures += 1;
      delay = Math.min(this.options.maxBackoffMs, this.options.intervalMs * 2 ** this.#failures);
      this.options.onResult({ error, retryInMs: delay });
    } finally {
      this.#running = false;
    }
    if (this.#again) {
      this.#again = false;
      delay = 0;
    }
    this.#timer = setTimeout(() => void this.#run(), delay);
  }
}
