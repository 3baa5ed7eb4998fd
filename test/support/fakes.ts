import type { Clock, LogFields, Logger } from '../../src/core/ports.ts';

/** Where every {@link ManualClock} starts unless told otherwise: a fixed instant, so ISO strings in tests are stable. */
export const CLOCK_START = Date.parse('2026-11-27T10:00:00.000Z');

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * A virtual clock. `sleep(ms)` never waits for real time: it registers a wake-up at `now + ms` and
 * yields to the event loop. Wake-ups are released one per event-loop turn (setImmediate), earliest
 * first, and `now` jumps to each wake-up as it is released. Since microtasks drain before the next
 * turn, time only moves once every task that can run without sleeping has run — so concurrent tasks
 * interleave as they would in real time, without a test ever depending on the wall clock.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  #scheduled = false;
  /** Every duration passed to sleep, in call order (for asserting back-off, not timing). */
  readonly sleeps: number[] = [];

  constructor(start: number = CLOCK_START) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** The current time as the ISO string the use cases write. */
  iso(): string {
    return new Date(this.#now).toISOString();
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise<void>((resolve) => {
      this.#timers.push({ at: this.#now + Math.max(0, ms), seq: this.#seq++, resolve });
      this.#schedule();
    });
  }

  /** Moves time forward without anyone sleeping (a lease expiring while nothing runs). */
  advance(ms: number): void {
    this.#now += ms;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift();
      if (next === undefined) return;
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
      if (this.#timers.length > 0) this.#schedule();
    });
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/** A {@link Logger} that keeps every line, for asserting that an outcome was logged with its reason. */
export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];

  debug(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'error', message, fields });
  }

  /** Messages of one level (or all), for `toContain`/`toMatch` assertions. */
  messages(level?: LogLevel): string[] {
    return this.lines.filter((line) => level === undefined || line.level === level).map((line) => line.message);
  }
}

/** Ids `prefix-1`, `prefix-2`, …: unique and predictable lease owners. */
export function idGenerator(prefix = 'owner'): () => string {
  let next = 0;
  return () => `${prefix}-${++next}`;
}

/** Seeds named by an environment variable: `7` replays one, `1..200` sweeps a range; undefined when unset or malformed. */
export function seedsFrom(text: string | undefined): number[] | undefined {
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(text ?? '');
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** mulberry32: a small seeded PRNG, so a failing interleaving can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves after `count` microtask turns: lets other ready tasks run without moving the clock. */
export async function yieldMicrotasks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve();
}

/**
 * Wraps a port so that every method call first (and after returning) yields a random number of
 * microtask turns drawn from `random`. Concurrent use cases then interleave at every I/O boundary in
 * an order fixed by the seed. Methods are called on the target itself (its #private fields work).
 */
export function withRandomYields<T extends object>(target: T, random: () => number, maxYields = 8): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await yieldMicrotasks(Math.floor(random() * (maxYields + 1)));
        const result: unknown = await Reflect.apply(value, object, args);
        await yieldMicrotasks(Math.floor(random() * (maxYields + 1)));
        return result;
      };
    },
  });
}

/**
 * Wraps a port so that every call first takes `latency()` ms of virtual time on `clock`: I/O latency.
 * Calls of concurrent use cases then overlap, so one task's read and write can have another's write
 * between them, and a slow call lets a later task overtake — in an order fixed by the seed behind `latency`.
 */
export function withLatency<T extends object>(target: T, clock: Clock, latency: () => number): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await clock.sleep(latency());
        return (await Reflect.apply(value, object, args)) as unknown;
      };
    },
  });
}

/** Mostly 0–`fastMs`, and one call in `1 / slowChance` takes `slowMs` to 2×`slowMs` (a throttled or paused call). */
export function randomLatency(random: () => number, options: { fastMs: number; slowMs: number; slowChance: number }): () => number {
  return () => Math.floor(random() < options.slowChance ? options.slowMs * (1 + random()) : random() * (options.fastMs + 1));
}
