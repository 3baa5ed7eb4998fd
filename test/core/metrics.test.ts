import { describe, expect, it } from 'vitest';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { Counters, Timings } from '../../src/core/metrics.ts';
import { publishVersion } from '../../src/core/publish-version.ts';
import { readPushedImages } from '../../src/core/read-push.ts';
import { RecordingMetrics } from '../support/recording-metrics.ts';
import { config, type World, world } from './fixtures.ts';

const repo = 'hello';

async function push(w: World, platform: string, tag: string) {
  const digest = w.registry.addImage(repo, { platform, tag }).manifest.digest;
  return (await readPushedImages(w.registry, { repository: repo, digest, tag, pushedAt: w.clock.iso() })).images[0]!;
}

function measured(): { w: World; metrics: RecordingMetrics } {
  const base = world();
  const metrics = new RecordingMetrics();
  return { w: { ...base, deps: { ...base.deps, metrics } }, metrics };
}

describe('what publishing measures', () => {
  it('counts a publish and the seconds from the first and the last push to it', async () => {
    const { w, metrics } = measured();
    await w.store.putRepositoryConfig(repo, config());
    const amd64 = await push(w, 'linux/amd64', '2.7-amd64');
    w.clock.advance(60_000);
    const arm64 = await push(w, 'linux/arm64', '2.7-arm64');
    w.clock.advance(2_000);
    await w.store.updateImages(
      { repository: repo, version: '2.7' },
      { set: [amd64, arm64], remove: [] },
      { expectedRevision: 0, now: w.clock.now() },
    );
    expect((await publishVersion(w.deps, repo, '2.7', { revision: 1 })).kind).toBe('published');
    expect(metrics.counts).toEqual([{ name: Counters.versionsPublished, value: 1 }]);
    expect(metrics.observations).toEqual([
      { name: Timings.firstPushToPublish, seconds: 62 },
      { name: Timings.lastPushToPublish, seconds: 2 },
    ]);
  });

  it('counts a partial publish as partial, not as published', async () => {
    const { w, metrics } = measured();
    await w.store.putRepositoryConfig(repo, config());
    const amd64 = await push(w, 'linux/amd64', '2.7-amd64');
    await w.store.updateImages(
      { repository: repo, version: '2.7' },
      { set: [amd64], remove: [] },
      { expectedRevision: 0, now: w.clock.now() },
    );
    expect((await publishVersion(w.deps, repo, '2.7', { revision: 1, allowPartial: true })).kind).toBe('published');
    expect(metrics.total(Counters.versionsPartiallyPublished)).toBe(1);
    expect(metrics.total(Counters.versionsPublished)).toBe(0);
  });

  it('counts nothing for a version already up to date', async () => {
    const { w, metrics } = measured();
    await w.store.putRepositoryConfig(repo, config({ requiredPlatforms: ['linux/amd64'] }));
    const amd64 = await push(w, 'linux/amd64', '2.7-amd64');
    await w.store.updateImages(
      { repository: repo, version: '2.7' },
      { set: [amd64], remove: [] },
      { expectedRevision: 0, now: w.clock.now() },
    );
    await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    expect(metrics.total(Counters.versionsPublished)).toBe(1);
  });

  it('counts a failed put as failed and an immutable tag as a conflict', async () => {
    for (const [error, counter] of [
      [new RegistryError(ErrorCodes.denied, 'put refused', { retryable: false }), Counters.versionsFailed],
      [new RegistryError(ErrorCodes.tagImmutable, 'tag is immutable', { retryable: false }), Counters.versionsInConflict],
    ] as const) {
      const { w, metrics } = measured();
      await w.store.putRepositoryConfig(repo, config({ requiredPlatforms: ['linux/amd64'] }));
      const amd64 = await push(w, 'linux/amd64', '2.7-amd64');
      await w.store.updateImages(
        { repository: repo, version: '2.7' },
        { set: [amd64], remove: [] },
        { expectedRevision: 0, now: w.clock.now() },
      );
      w.registry.failNext('putManifest', 1, error);
      await publishVersion(w.deps, repo, '2.7', { revision: 1 });
      expect(metrics.counts.map((c) => c.name)).toEqual([counter]);
    }
  });
});
