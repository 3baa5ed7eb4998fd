import { type CounterName, Counters, type Metrics } from '../../core/metrics.ts';
import type { ImageRegistry, VersionStore } from '../../core/ports.ts';

/**
 * Counts the calls of a port that throw, under one counter, and lets the error through unchanged.
 * A port's expected answers (a lost conditional write, a missing tag) are return values, not
 * throws, so what is counted is what went wrong: throttling, timeouts, refusals, bad content.
 */
function meter<T extends object>(target: T, counter: CounterName, metrics: Metrics): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        try {
          const result: unknown = value.apply(object, args);
          if (result instanceof Promise) {
            return result.catch((error: unknown) => {
              metrics.count(counter);
              throw error;
            });
          }
          return result;
        } catch (error) {
          metrics.count(counter);
          throw error;
        }
      };
    },
  });
}

/** The registry, with each throwing call counted as `RegistryCallErrors`. */
export function meteredRegistry(registry: ImageRegistry, metrics: Metrics): ImageRegistry {
  return meter(registry, Counters.registryCallErrors, metrics);
}

/** The store, with each throwing call counted as `DynamoDbCallErrors`. */
export function meteredStore(store: VersionStore, metrics: Metrics): VersionStore {
  return meter(store, Counters.dynamoDbCallErrors, metrics);
}
