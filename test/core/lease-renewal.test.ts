import { describe, expect, it } from 'vitest';
import { PublishTiming } from '../../src/core/publish-gate.ts';
import { publishVersion } from '../../src/core/publish-version.ts';
import { recordPush } from '../../src/core/record-push.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { makeHarness } from '../handlers/handler-harness.ts';

const repo = 'hello';

describe('a publisher whose lease ran out before it put', () => {
  it('does not put: the lease is renewed before every put, and a lost one stops it', async () => {
    const h = makeHarness();
    await h.store.putRepositoryConfig(repo, normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }));
    const amd = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
    await recordPush(h.deps, { repository: repo, tag: '2.7-amd64', digest: amd });
    const arm = h.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64' }).manifest.digest;
    // Record arm64 without publishing, then publish by hand with a registry that stalls before the put.
    const record = await h.store.getVersion({ repository: repo, version: '2.7' });
    const armImage = {
      ...Object.values(record!.images)[0]!,
      key: 'linux/arm64',
      platform: { os: 'linux', architecture: 'arm64' },
      digest: arm,
      sourceDigest: arm,
      tag: '2.7-arm64',
    };
    const updated = await h.store.updateImages(
      { repository: repo, version: '2.7' },
      { set: [armImage], remove: [] },
      { expectedRevision: record!.revision, now: h.clock.now() },
    );
    let stalled = false;
    h.registry.beforeCall = async (method, args) => {
      // The look at the version tag just before the put: the holder stalls past its lease, and
      // another publisher takes the version over meanwhile.
      if (method === 'resolveTag' && args[1] === '2.7' && !stalled) {
        stalled = true;
        h.clock.advance(PublishTiming.leaseMs + 1);
        expect(
          await h.store.acquireLease(
            { repository: repo, version: '2.7' },
            { owner: 'successor', now: h.clock.now(), leaseMs: PublishTiming.leaseMs },
          ),
        ).toBeDefined();
      }
    };
    const outcome = await publishVersion(h.deps, repo, '2.7', { revision: updated!.revision });
    expect(outcome).toEqual({ kind: 'handed-over', reason: 'lease lost while publishing' });
    expect(h.registry.calls.putManifest).toBe(0);
    expect(h.logger.messages('warn')).toContain('lease lost before a put; the new holder will publish');
  });
});

describe('registry call timeouts', () => {
  it('are shorter than a publish lease, so a put cannot outlast the lease renewed just before it', async () => {
    const { REGISTRY_CALL_TIMEOUT_MS } = await import('../../src/composition.ts');
    expect(REGISTRY_CALL_TIMEOUT_MS).toBeLessThan(PublishTiming.leaseMs);
  });
});
