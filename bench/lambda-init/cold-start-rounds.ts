import { type MedianInterval, medianInterval } from '../median-interval.ts';
import type { FunctionConfig, Invocation } from './bench-functions.ts';

/** What the rounds need of Lambda ({@link BenchFunctions} on AWS, a fake in the tests). */
export interface ColdStartPort {
  configure(name: string, config: FunctionConfig): Promise<void>;
  invoke(name: string): Promise<Invocation>;
}

/** One function the rounds start cold: its label in the report, its name on Lambda and the configuration it runs with. */
export interface ColdStartTarget {
  readonly label: string;
  readonly functionName: string;
  readonly config: FunctionConfig;
}

/** Each label's `Init Duration` per kept round (index i of every list is round i), and the rounds dropped. */
export interface ColdStartSamples {
  readonly initMs: ReadonlyMap<string, readonly number[]>;
  /** Rounds with an invocation that reported no `Init Duration` (it found an environment up): none of that round's figures is kept, so that every list stays paired by round. */
  readonly droppedRounds: number;
}

/** The variable whose new value in every round makes Lambda start each function's next invocation in a new execution environment. */
export const COLD_START_VARIABLE = 'BENCH_COLD_START';

/**
 * `rounds` rounds of one cold start of every target: each round changes every function's
 * configuration (all at once, then waits until each has applied it), then invokes them one after
 * another, each round starting with another target, so that none is always the first after the
 * pause (as bench/bundles.ts interleaves the local imports). Stops early, with what it has, once
 * `signal` is aborted.
 */
export async function coldStartRounds(
  port: ColdStartPort,
  targets: readonly ColdStartTarget[],
  rounds: number,
  signal?: AbortSignal,
): Promise<ColdStartSamples> {
  const initMs = new Map<string, number[]>(targets.map((t) => [t.label, []]));
  let droppedRounds = 0;
  for (let round = 0; round < rounds && signal?.aborted !== true; round++) {
    await Promise.all(
      targets.map((t) =>
        port.configure(t.functionName, { ...t.config, environment: { ...t.config.environment, [COLD_START_VARIABLE]: `${round}` } }),
      ),
    );
    const inits = new Map<string, number | undefined>();
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(round + i) % targets.length] as ColdStartTarget;
      inits.set(target.label, (await port.invoke(target.functionName)).report.initDurationMs);
    }
    if ([...inits.values()].some((ms) => ms === undefined)) {
      droppedRounds++;
      continue;
    }
    for (const [label, ms] of inits) initMs.get(label)?.push(ms as number);
  }
  return { initMs, droppedRounds };
}

/** Each round's `Init Duration` of `label` minus that of `floorLabel` in the same round, and the median of those differences with its 95 % interval. */
export function overFloor(samples: ColdStartSamples, label: string, floorLabel: string): MedianInterval {
  const own = samples.initMs.get(label) ?? [];
  const floor = samples.initMs.get(floorLabel) ?? [];
  if (own.length !== floor.length) throw new Error(`${label} has ${own.length} rounds, ${floorLabel} ${floor.length}: not paired`);
  return medianInterval(own.map((ms, i) => ms - (floor[i] as number)));
}
