import type { Dependencies, VersionStore } from '../../src/core/ports.ts';
import { type World, world } from './fixtures.ts';

/** Every VersionStore method that writes. */
export const WRITE_METHODS = new Set<keyof VersionStore>([
  'putRepositoryConfig',
  'deleteRepositoryConfig',
  'updateImages',
  'acquireLease',
  'recordPublished',
  'recordError',
  'releaseLease',
  'rememberPublishedTag',
  'putCheckpoint',
  'claimFloatingTag',
]);

/** The world's store behind a proxy that counts every write, so "changes nothing" is asserted, not assumed. */
export function countingWorld(): World & { writes: string[] } {
  const w = world();
  const writes: string[] = [];
  const store = new Proxy(w.store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (WRITE_METHODS.has(property as keyof VersionStore)) writes.push(String(property));
        return Reflect.apply(value, target, args) as unknown;
      };
    },
  });
  const deps: Dependencies = { ...w.deps, store };
  return { ...w, deps, writes };
}
