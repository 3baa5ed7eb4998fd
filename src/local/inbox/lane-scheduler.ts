/** What became of one run of an item: finished (it leaves its lane), or to be run again after a pause. */
export type LaneRunResult = { readonly kind: 'done' } | { readonly kind: 'retry'; readonly afterMs: number };

export interface LaneSchedulerOptions<T> {
  /** How many items run at the same time, at most (each in a lane of its own). */
  readonly concurrency: number;
  /** Runs one item. A throw counts as done: `run` is expected to catch and decide. */
  readonly run: (item: T, lane: string) => Promise<LaneRunResult>;
  /** Called when `run` threw anyway; the item leaves its lane. */
  readonly onCrash?: (error: unknown, item: T, lane: string) => void;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

interface Lane<T> {
  /** The head is running, waiting for a retry, or next to run; the rest wait behind it. */
  readonly items: T[];
  timer: unknown;
}

/**
 * Runs items in lanes: the items of one lane one at a time, in the order they were pushed; items
 * of different lanes side by side, at most `concurrency` at once. A lane whose head asks for a
 * retry waits (holding no slot) and then runs that head again, so nothing behind it overtakes it.
 * Lanes take turns in the order they became ready, so a long lane does not starve the others.
 */
export class LaneScheduler<T> {
  readonly #concurrency: number;
  readonly #run: LaneSchedulerOptions<T>['run'];
  readonly #onCrash: NonNullable<LaneSchedulerOptions<T>['onCrash']>;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (timer: unknown) => void;
  readonly #lanes = new Map<string, Lane<T>>();
  /** Lanes with an item to run, none of theirs running or waiting, oldest first. */
  readonly #ready: string[] = [];
  readonly #runs = new Set<Promise<void>>();
  #size = 0;
  #stopped = false;
  #idle: Array<() => void> = [];

  constructor(options: LaneSchedulerOptions<T>) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`LaneScheduler concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.#concurrency = options.concurrency;
    this.#run = options.run;
    this.#onCrash = options.onCrash ?? (() => undefined);
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
    this.#clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as NodeJS.Timeout));
  }

  /** Items not finished yet (waiting, running, or paused for a retry). */
  get size(): number {
    return this.#size;
  }

  /** Items running now. */
  get running(): number {
    return this.#runs.size;
  }

  /**
   * Appends `item` to `lane`; it runs after every item pushed to that lane before it. Returns whether
   * it waits behind an earlier item of its lane (false when stopped: it will not run).
   */
  push(lane: string, item: T): boolean {
    if (this.#stopped) return false;
    let state = this.#lanes.get(lane);
    if (state === undefined) {
      state = { items: [], timer: undefined };
      this.#lanes.set(lane, state);
      this.#ready.push(lane);
    }
    state.items.push(item);
    this.#size += 1;
    this.#pump();
    return state.items.length > 1;
  }

  /** Resolves once nothing is left (an item paused for a retry counts as left). */
  idle(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Starts nothing more and cancels pending retries; resolves once the runs in progress ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const lane of this.#lanes.values()) this.#clearTimer(lane.timer);
    await Promise.allSettled([...this.#runs]);
  }

  #pump(): void {
    while (!this.#stopped && this.#runs.size < this.#concurrency && this.#ready.length > 0) {
      const name = this.#ready.shift() as string;
      const lane = this.#lanes.get(name);
      const item = lane?.items[0];
      if (lane === undefined || item === undefined) continue;
      const run = this.#runOne(name, lane, item);
      this.#runs.add(run);
      void run.finally(() => {
        this.#runs.delete(run);
        this.#pump();
      });
    }
  }

  async #runOne(name: string, lane: Lane<T>, item: T): Promise<void> {
    let result: LaneRunResult;
    try {
      result = await this.#run(item, name);
    } catch (error) {
      this.#onCrash(error, item, name);
      result = { kind: 'done' };
    }
    if (result.kind === 'retry') {
      lane.timer = this.#setTimer(() => {
        lane.timer = undefined;
        this.#ready.push(name);
        this.#pump();
      }, result.afterMs);
      return;
    }
    lane.items.shift();
    this.#size -= 1;
    if (lane.items.length > 0) this.#ready.push(name);
    else this.#lanes.delete(name);
    if (this.#size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
