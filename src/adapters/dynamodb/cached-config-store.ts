import type { VersionStore } from '../../core/ports.ts';
import type { RepositoryConfig } from '../../core/repository-config.ts';

/**
 * The store with each repository's config kept for at most `maxAgeMs` after it was read: every push
 * event reads its repository's config, and most of a burst's events are of a few repositories. A
 * config written or deleted through this store is forgotten at once; one changed elsewhere (the API
 * function on AWS, another runner) is seen at the latest `maxAgeMs` later. Nothing else is cached.
 */
export function withCachedConfigs(store: VersionStore, options: { maxAgeMs: number; now: () => number }): VersionStore {
  const { maxAgeMs, now } = options;
  const cache = new Map<string, { config: RepositoryConfig | undefined; readAt: number }>();
  const cached: Pick<VersionStore, 'getRepositoryConfig' | 'putRepositoryConfig' | 'deleteRepositoryConfig'> = {
    async getRepositoryConfig(repository) {
      const entry = cache.get(repository);
      if (entry !== undefined && now() - entry.readAt < maxAgeMs) return entry.config;
      const readAt = now();
      const config = await store.getRepositoryConfig(repository);
      cache.set(repository, { config, readAt });
      return config;
    },
    async putRepositoryConfig(repository, config) {
      cache.delete(repository);
      try {
        await store.putRepositoryConfig(repository, config);
      } finally {
        cache.delete(repository);
      }
    },
    async deleteRepositoryConfig(repository) {
      cache.delete(repository);
      try {
        return await store.deleteRepositoryConfig(repository);
      } finally {
        cache.delete(repository);
      }
    },
  };
  return new Proxy(store, {
    get(target, property) {
      if (Object.hasOwn(cached, property)) return cached[property as keyof typeof cached];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
