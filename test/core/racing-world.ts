import { isRetryable } from '../../src/core/errors.ts';
import type { Dependencies, ImageRegistry, VersionEvents, VersionStore } from '../../src/core/ports.ts';
import { type PushOutcome, recordPush } from '../../src/core/record-push.ts';
import { CapturingLogger, idGenerator, type ManualClock, withLatency, withRandomYields } from '../support/fakes.ts';

// What the concurrency suites share (record-push.concurrency, floating-tags.concurrency): ports whose
// calls race, and event delivery that retries as Lambda and SQS do. Both draw from the suite's seeded
// `random` in the order the suites always did, so a seed replays the same interleaving.

/**
 * Dependencies whose every registry and store call takes virtual time on `clock` (now and then a slow
 * one, as `latency` decides) and yields a few microtasks: use cases overlap call by call, and a later
 * push can overtake an earlier one that is still being recorded.
 */
export function racingDependencies(options: {
  readonly registry: ImageRegistry;
  readonly store: VersionStore;
  readonly clock: ManualClock;
  readonly random: () => number;
  readonly latency: () => number;
  readonly events: VersionEvents;
  readonly seed: number;
}): Dependencies {
  const { registry, store, clock, random, latency, events, seed } = options;
  return {
    registry: withRandomYields(withLatency(registry, clock, latency), random),
    store: withRandomYields(withLatency(store, clock, latency), random),
    clock,
    logger: new CapturingLogger(),
    events,
    newId: idGenerator(`seed${seed}`),
  };
}

/**
 * Delivers one push event to recordPush and appends its outcome; a retryable failure is delivered
 * again after 1 to 6 virtual seconds, as Lambda's retries would, at most `maxDeliveries` times.
 */
export function retryingDelivery(
  deps: Dependencies,
  repository: string,
  options: { readonly random: () => number; readonly maxDeliveries: number; readonly outcomes: PushOutcome[] },
): (tag: string, digest: string) => Promise<void> {
  return async (tag, digest) => {
    for (let attempt = 1; ; attempt++) {
      try {
        options.outcomes.push(await recordPush(deps, { repository, tag, digest }));
        return;
      } catch (error) {
        if (!isRetryable(error) || attempt >= options.maxDeliveries) throw error;
        await deps.clock.sleep(1_000 + Math.floor(options.random() * 5_000));
      }
    }
  };
}
