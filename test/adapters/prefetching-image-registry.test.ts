import { describe, expect, it } from 'vitest';
import {
  PrefetchingImageRegistry,
  parseReadsAhead,
  READS_AHEAD_METRIC,
  renderReadsAhead,
} from '../../src/adapters/prefetching-image-registry.ts';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { Limits } from '../../src/core/media-types.ts';
import { InMemoryImageRegistry } from '../support/in-memory-image-registry.ts';

const REPO = 'team/app';

function setup(options: { capacity?: number; maxAgeMs?: number } = {}) {
  const inner = new InMemoryImageRegistry();
  const image = inner.addImage(REPO, { platform: 'linux/arm64', tag: '2.7-arm64' });
  const clock = { ms: 0 };
  const registry = new PrefetchingImageRegistry(inner, { ...options, now: () => clock.ms });
  return { inner, image, registry, clock };
}

describe('PrefetchingImageRegistry', () => {
  describe('when a push was read ahead', () => {
    it('hands the manifest and the config read ahead to the handler, with no request of its own', async () => {
      const { inner, image, registry } = setup();
      registry.prefetch(REPO, image.manifest.digest, image.config);
      expect(inner.calls).toMatchObject({ fetchManifest: 1, fetchBlob: 1 });

      expect(await registry.fetchManifest(REPO, image.manifest.digest)).toEqual(image.manifest);
      expect(await registry.fetchBlob(REPO, image.config, Limits.configBytes)).toEqual(image.config.bytes);
      expect(inner.calls, 'the reads ahead were the only requests').toMatchObject({ fetchManifest: 1, fetchBlob: 1 });
      expect(registry.stats).toEqual({ started: 2, used: 2, skipped: 0, expired: 0 });
    });

    it('hands each read out once: a second read (a retry of the handler) asks the registry again', async () => {
      const { inner, image, registry } = setup();
      registry.prefetch(REPO, image.manifest.digest);
      await registry.fetchManifest(REPO, image.manifest.digest);
      await registry.fetchManifest(REPO, image.manifest.digest);
      expect(inner.calls.fetchManifest).toBe(2);
      expect(registry.stats).toEqual({ started: 1, used: 1, skipped: 0, expired: 0 });
    });

    it('starts no second read of a digest already being read ahead', async () => {
      const { inner, image, registry } = setup();
      registry.prefetch(REPO, image.manifest.digest, image.config);
      registry.prefetch(REPO, image.manifest.digest, image.config);
      expect(inner.calls).toMatchObject({ fetchManifest: 1, fetchBlob: 1 });
      expect(registry.stats.started).toBe(2);
    });

    it('reads again for the handler when the read ahead failed, so the handler sees its own read', async () => {
      const { inner, image, registry } = setup();
      inner.failNext('fetchManifest', 1, new RegistryError(ErrorCodes.unavailable, 'registry restarting', { retryable: true }));
      registry.prefetch(REPO, image.manifest.digest);
      expect(await registry.fetchManifest(REPO, image.manifest.digest)).toEqual(image.manifest);
      expect(inner.calls.fetchManifest).toBe(2);
    });

    it('lets the handler see the failure of its own read when that fails too', async () => {
      const { inner, image, registry } = setup();
      inner.failNext('fetchManifest', 2, new RegistryError(ErrorCodes.unavailable, 'registry down', { retryable: true }));
      registry.prefetch(REPO, image.manifest.digest);
      await expect(registry.fetchManifest(REPO, image.manifest.digest)).rejects.toThrow('registry down');
    });

    it('keys a blob by its size cap: a read with another cap is not served by the read ahead', async () => {
      const { inner, image, registry } = setup();
      registry.prefetch(REPO, image.manifest.digest, image.config);
      await expect(registry.fetchBlob(REPO, image.config, 16)).rejects.toThrow(/more than 16/);
      expect(registry.stats.used).toBe(0);
      expect(await registry.fetchBlob(REPO, image.config, Limits.configBytes)).toEqual(image.config.bytes);
      expect(inner.calls.fetchBlob, 'the read ahead, the capped read').toBe(2);
      expect(registry.stats.used).toBe(1);
    });

    it('keys by repository: the same digest read in another repository is not handed over', async () => {
      const { image, registry } = setup();
      registry.prefetch(REPO, image.manifest.digest);
      await expect(registry.fetchManifest('team/other', image.manifest.digest)).rejects.toThrow(/not found/);
      expect(registry.stats.used).toBe(0);
    });
  });

  it('starts no read beyond `capacity` waiting ones (dropping one would send it twice), and one again once a reader took one', async () => {
    const { inner, image, registry } = setup({ capacity: 1 });
    const other = inner.addImage(REPO, { platform: 'linux/amd64', tag: '2.7-amd64' });
    registry.prefetch(REPO, image.manifest.digest);
    registry.prefetch(REPO, other.manifest.digest);
    expect(registry.stats).toEqual({ started: 1, used: 0, skipped: 1, expired: 0 });
    await registry.fetchManifest(REPO, image.manifest.digest);
    await registry.fetchManifest(REPO, other.manifest.digest);
    expect(inner.calls.fetchManifest, 'each manifest read once').toBe(2);
    registry.prefetch(REPO, other.manifest.digest);
    expect(registry.stats).toEqual({ started: 2, used: 1, skipped: 1, expired: 0 });
  });

  it('drops a read nobody took within `maxAgeMs` (its push was ignored before its reads), freeing its place', async () => {
    const { inner, image, registry, clock } = setup({ capacity: 1, maxAgeMs: 1_000 });
    const other = inner.addImage(REPO, { platform: 'linux/amd64', tag: '2.7-amd64' });
    registry.prefetch(REPO, image.manifest.digest);
    clock.ms = 999;
    registry.prefetch(REPO, other.manifest.digest);
    expect(registry.stats, 'still fresh: the new one is not started').toMatchObject({ started: 1, skipped: 1, expired: 0 });
    clock.ms = 1_000;
    registry.prefetch(REPO, other.manifest.digest);
    expect(registry.stats).toEqual({ started: 2, used: 0, skipped: 1, expired: 1 });
    await registry.fetchManifest(REPO, image.manifest.digest);
    expect(inner.calls.fetchManifest, 'the expired read is read again by its late reader').toBe(3);
  });

  it('passes every other call through', async () => {
    const { inner, image, registry } = setup();
    expect(await registry.fetchManifest(REPO, image.manifest.digest)).toEqual(image.manifest);
    expect(await registry.resolveTag(REPO, '2.7-arm64')).toBe(image.manifest.digest);
    expect(await registry.listTags(REPO)).toEqual(['2.7-arm64']);
    await registry.putManifest(REPO, 'copy', image.manifest);
    expect(inner.puts).toEqual([expect.objectContaining({ tag: 'copy', result: 'stored' })]);
    expect(inner.calls).toMatchObject({ fetchManifest: 1, resolveTag: 1, listTags: 1, putManifest: 1 });
    expect(registry.stats).toEqual({ started: 0, used: 0, skipped: 0, expired: 0 });
  });

  it('renders its counts in the Prometheus text format, one series per outcome', () => {
    expect(renderReadsAhead({ started: 4, used: 3, skipped: 2, expired: 1 })).toBe(
      [
        `# HELP ${READS_AHEAD_METRIC} Registry reads by digest started before their push's handler ran, by what became of them.`,
        `# TYPE ${READS_AHEAD_METRIC} counter`,
        `${READS_AHEAD_METRIC}{outcome="started"} 4`,
        `${READS_AHEAD_METRIC}{outcome="used"} 3`,
        `${READS_AHEAD_METRIC}{outcome="skipped"} 2`,
        `${READS_AHEAD_METRIC}{outcome="expired"} 1`,
        '',
      ].join('\n'),
    );
  });

  it('reads its counts back out of a /metrics text, other series beside them', () => {
    const stats = { started: 7, used: 5, skipped: 1, expired: 1 };
    const text = `other_total 3\n${renderReadsAhead(stats)}${READS_AHEAD_METRIC}_bogus{outcome="used"} 9\n`;
    expect(parseReadsAhead(text)).toEqual(stats);
    expect(parseReadsAhead('')).toEqual({});
  });
});
