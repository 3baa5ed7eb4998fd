import type { Clock } from '../../src/core/ports.ts';

/** What a process "killed" mid-call throws; not a DomainError, so nothing treats it as an answer. */
export class Crash extends Error {
  constructor(readonly point: string) {
    super(`simulated crash: the process died ${point}`);
    this.name = 'Crash';
  }
}

export interface CrashPoint {
  readonly port: 'registry' | 'store';
  readonly method: string;
  /** Die before the call runs, or after it returned (its effect is done, nobody hears of it). */
  readonly when: 'before' | 'after';
  /** Which call of that method dies (1 = the first). Default 1. */
  readonly nth?: number;
  readonly description: string;
}

/**
 * One simulated process: its ports die together at the crash point. From then on every call to any of
 * its ports (and its clock's sleep) throws {@link Crash}, so nothing more is written: the lease it held
 * stays until it expires, as it would after a real kill.
 */
export class CrashingProcess {
  dead = false;
  #calls = 0;
  constructor(readonly point: CrashPoint) {}

  wrap<T extends object>(port: 'registry' | 'store', target: T): T {
    return new Proxy(target, {
      get: (object, property) => {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (this.dead) throw new Crash(this.point.description);
          const hit = port === this.point.port && property === this.point.method && ++this.#calls === (this.point.nth ?? 1);
          if (hit && this.point.when === 'before') this.#die();
          const result: unknown = await Reflect.apply(value, object, args);
          if (hit && this.point.when === 'after') this.#die();
          return result;
        };
      },
    });
  }

  clock(inner: Clock): Clock {
    return {
      now: () => inner.now(),
      sleep: async (ms) => {
        if (this.dead) throw new Crash(this.point.description);
        await inner.sleep(ms);
        if (this.dead) throw new Crash(this.point.description);
      },
    };
  }

  #die(): never {
    this.dead = true;
    throw new Crash(this.point.description);
  }
}
