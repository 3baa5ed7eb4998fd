import { describe, expect, it } from 'vitest';
import { withCachedConfigs } from '../../../src/adapters/dynamodb/cached-config-store.ts';
import { normaliseRepositoryConfig } from '../../../src/core/repository-config.ts';
import { InMemoryVersionStore } from '../../support/in-memory-version-store.ts';

function setUp() {
  const inner = new InMemoryVersionStore();
  let reads = 0;
  const read = inner.getRepositoryConfig.bind(inner);
  inner.getRepositoryConfig = (repository) => {
    reads++;
    return read(repository);
  };
  let now = 0;
  const store = withCachedConfigs(inner, { maxAgeMs: 5_000, now: () => now });
  return { inner, store, reads: () => reads, advance: (ms: number) => (now += ms) };
}

const config = normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64'] });
const other = normaliseRepositoryConfig({ requiredPlatforms: ['linux/arm64'] });

describe('withCachedConfigs', () => {
  it('reads a config once per maxAgeMs, its absence included', async () => {
    const s = setUp();
    expect(await s.store.getRepositoryConfig('hello')).toBeUndefined();
    await s.inner.putRepositoryConfig('hello', config); // written elsewhere: seen once the entry is old
    expect(await s.store.getRepositoryConfig('hello')).toBeUndefined();
    s.advance(4_999);
    expect(await s.store.getRepositoryConfig('hello')).toBeUndefined();
    expect(s.reads()).toBe(1);
    s.advance(1);
    expect(await s.store.getRepositoryConfig('hello')).toEqual(config);
    expect(s.reads()).toBe(2);
  });

  it('forgets a config written or deleted through it at once', async () => {
    const s = setUp();
    await s.store.putRepositoryConfig('hello', config);
    expect(await s.store.getRepositoryConfig('hello')).toEqual(config);
    await s.store.putRepositoryConfig('hello', other);
    expect(await s.store.getRepositoryConfig('hello')).toEqual(other);
    expect(await s.store.deleteRepositoryConfig('hello')).toBe(true);
    expect(await s.store.getRepositoryConfig('hello')).toBeUndefined();
    expect(s.reads()).toBe(3);
  });

  it('passes every other method through to the store', async () => {
    const s = setUp();
    await s.store.putRepositoryConfig('hello', config);
    expect(await s.store.getVersion({ repository: 'hello', version: '2.7' })).toBeUndefined();
    expect(await s.store.listRepositoryConfigs()).toEqual([{ repository: 'hello', config }]);
  });
});
