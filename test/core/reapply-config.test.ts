import { describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/core/index-builder.ts';
import { reapplyConfig } from '../../src/core/reapply-config.ts';
import { recordPush } from '../../src/core/record-push.ts';
import type { RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { countingWorld } from './counting-world.ts';
import { config } from './fixtures.ts';

const repo = 'opt';

/** `opt:1.0` pushed as amd64 and arm64, recorded and published through recordPush as events would. */
async function published(input: Partial<RepositoryConfigInput> = {}) {
  const w = countingWorld();
  await w.store.putRepositoryConfig(repo, config(input));
  const amd64 = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.0-amd64' }).manifest;
  const arm64 = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '1.0-arm64' }).manifest;
  for (const [tag, digest] of [
    ['1.0-amd64', amd64.digest],
    ['1.0-arm64', arm64.digest],
  ] as const) {
    await recordPush(w.deps, { repository: repo, tag, digest });
  }
  const before = await w.store.getVersion({ repository: repo, version: '1.0' });
  expect(before?.published?.tags).toEqual(['1.0']);
  w.registry.puts.length = 0;
  w.writes.length = 0;
  return { w, amd64, arm64, before: before! };
}

const platformsAt = (w: ReturnType<typeof countingWorld>, tag: string) =>
  expectValidIndex(w.registry.manifestAt(repo, tag)!).manifests.map((child) => `${child.platform?.os}/${child.platform?.architecture}`);

describe('reapplyConfig', () => {
  it('republishes without a platform removed from the config, once', async () => {
    const { w, amd64, before } = await published();
    await w.store.putRepositoryConfig(repo, config({ requiredPlatforms: ['linux/amd64'] }));

    const { outcome, rerecorded } = await reapplyConfig(w.deps, repo, '1.0');

    const record = await w.store.getVersion({ repository: repo, version: '1.0' });
    const expected = buildIndex(
      Object.values(record!.images).filter((i) => i.key === 'linux/amd64'),
      'auto',
    ).manifest;
    expect(outcome).toEqual({ kind: 'published', digest: expected.digest, revision: before.revision, tags: ['1.0'] });
    expect(rerecorded).toEqual([]);
    expect(expected.digest).not.toBe(before.published?.digest);
    expect(platformsAt(w, '1.0')).toEqual(['linux/amd64']);
    expect(expectValidIndex(w.registry.manifestAt(repo, '1.0')!).manifests.map((c) => c.digest)).toEqual([amd64.digest]);
    expect(w.registry.puts.map((p) => [p.tag, p.digest])).toEqual([['1.0', expected.digest]]);
    expect(record?.published).toMatchObject({ digest: expected.digest, revision: before.revision, tags: ['1.0'] });
  });

  it('puts nothing and records nothing when the config has not changed', async () => {
    const { w, before } = await published();
    const { outcome } = await reapplyConfig(w.deps, repo, '1.0');
    expect(outcome).toEqual({ kind: 'up-to-date', digest: before.published?.digest });
    expect(w.registry.puts.length).toBe(0);
    expect(w.writes.filter((write) => write !== 'acquireLease' && write !== 'releaseLease')).toEqual([]);
    expect(await w.store.getVersion({ repository: repo, version: '1.0' })).toMatchObject({ published: before.published });
  });

  it('puts under a target tag added to the config, and only there', async () => {
    const { w, before } = await published();
    await w.store.putRepositoryConfig(repo, config({ targetTags: ['{version}', 'v{version}'] }));
    const { outcome } = await reapplyConfig(w.deps, repo, '1.0');
    expect(outcome).toMatchObject({ kind: 'published', digest: before.published?.digest, tags: ['1.0', 'v1.0'] });
    expect(w.registry.puts.map((p) => p.tag)).toEqual(['v1.0']);
  });

  it('rebuilds with the images the per-arch tags point at now, re-recording a tag whose event was lost', async () => {
    const { w, amd64 } = await published();
    const rebuilt = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '1.0-arm64', label: 'rebuild' }).manifest;

    const { outcome, rerecorded } = await reapplyConfig(w.deps, repo, '1.0');

    expect(rerecorded).toEqual(['1.0-arm64']);
    // recordPush published the new revision; re-applying the config then finds nothing more to do.
    expect(outcome.kind).toBe('up-to-date');
    expect(
      expectValidIndex(w.registry.manifestAt(repo, '1.0')!)
        .manifests.map((c) => c.digest)
        .sort(),
    ).toEqual([amd64.digest, rebuilt.digest].sort());
    expect(w.registry.puts.length).toBe(1);
  });

  it('leaves the published index alone and says what is missing when the config now requires another platform', async () => {
    const { w, before } = await published();
    await w.store.putRepositoryConfig(repo, config({ requiredPlatforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] }));
    const { outcome } = await reapplyConfig(w.deps, repo, '1.0');
    expect(outcome).toEqual({ kind: 'waiting', missing: ['linux/arm/v7'] });
    expect(w.registry.puts.length).toBe(0);
    expect((await w.store.getVersion({ repository: repo, version: '1.0' }))?.published).toEqual(before.published);
  });

  it('records a partial publish as whole, without a put, once the missing platform is no longer required', async () => {
    const w = countingWorld();
    await w.store.putRepositoryConfig(repo, config());
    const amd64 = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.0-amd64' }).manifest;
    await recordPush(w.deps, { repository: repo, tag: '1.0-amd64', digest: amd64.digest });
    expect((await reapplyConfig(w.deps, repo, '1.0', { allowPartial: true })).outcome.kind).toBe('published');
    expect((await w.store.getVersion({ repository: repo, version: '1.0' }))?.published?.missingPlatforms).toEqual(['linux/arm64']);
    const puts = w.registry.puts.length;

    await w.store.putRepositoryConfig(repo, config({ requiredPlatforms: ['linux/amd64'] }));
    const { outcome } = await reapplyConfig(w.deps, repo, '1.0');

    expect(outcome.kind).toBe('published');
    expect(w.registry.puts.length).toBe(puts);
    expect((await w.store.getVersion({ repository: repo, version: '1.0' }))?.published?.missingPlatforms).toBeUndefined();
  });

  it('answers not-found for a version never recorded', async () => {
    const { w } = await published();
    expect(await reapplyConfig(w.deps, repo, '9.9')).toEqual({ outcome: { kind: 'not-found' }, rerecorded: [] });
  });
});
