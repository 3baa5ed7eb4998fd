import { describe, expect, it } from 'vitest';
import { reconcileRepository } from '../../src/core/reconcile.ts';
import { recordPush } from '../../src/core/record-push.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { toVersionStatus } from '../../src/core/version-status.ts';
import { makeHarness } from '../handlers/handler-harness.ts';

const repo = 'hello';

async function setUp() {
  const h = makeHarness();
  await h.store.putRepositoryConfig(repo, normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }));
  const push = (tag: string, digest: string) => recordPush(h.deps, { repository: repo, tag, digest });
  const status = async () =>
    toVersionStatus(
      (await h.store.getVersion({ repository: repo, version: '2.7' }))!,
      await h.store.getRepositoryConfig(repo),
      h.clock.now(),
    );
  const first = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
  const second = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-x86', label: 'another build' }).manifest.digest;
  await push('2.7-amd64', first);
  expect(await push('2.7-x86', second)).toMatchObject({ kind: 'conflict' });
  return { h, push, status, first, second };
}

describe('a conflict between two per-arch tags claiming one platform', () => {
  it('is not published past when another platform completes the version', async () => {
    const { h, push, status } = await setUp();
    const arm = h.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64' }).manifest.digest;
    const outcome = await push('2.7-arm64', arm);
    expect(outcome).toMatchObject({ kind: 'recorded', publish: { kind: 'conflict' } });
    expect(await h.registry.resolveTag(repo, '2.7')).toBeUndefined();
    expect(await status()).toMatchObject({ state: 'conflict', error: expect.stringContaining('2.7-x86') });
  });

  it('is settled once the refused tag is gone: the reconciler then publishes, and the error clears', async () => {
    const { h, push, status, first } = await setUp();
    const arm = h.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64' }).manifest.digest;
    await push('2.7-arm64', arm);
    h.registry.untag(repo, '2.7-x86');
    const report = await reconcileRepository(h.deps, repo);
    expect(report.published).toEqual(['2.7']);
    const after = await status();
    expect(after).toMatchObject({ state: 'published', error: null });
    expect(after.images.map((i) => i.digest)).toEqual([first, arm]);
    expect(await h.registry.resolveTag(repo, '2.7')).toBe(after.published?.digest);
  });

  it('is settled when the refused tag is re-pushed with another platform', async () => {
    const { h, push, status } = await setUp();
    const arm = h.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-x86', label: 'fixed' }).manifest.digest;
    expect(await push('2.7-x86', arm)).toMatchObject({ kind: 'recorded', publish: { kind: 'published' } });
    expect(await status()).toMatchObject({ state: 'published', error: null });
  });

  it('is listed in the reconciler report, and a pass writes nothing new for it', async () => {
    const { h } = await setUp();
    const before = await h.store.getVersion({ repository: repo, version: '2.7' });
    const report = await reconcileRepository(h.deps, repo);
    expect(report.conflicts).toEqual([{ tag: '2.7-x86', message: expect.stringContaining('both claim platform linux/amd64') }]);
    expect(await h.store.getVersion({ repository: repo, version: '2.7' })).toEqual(before);
  });

  it('is cleared at once when the refused tag is re-pushed with another platform, even while the version still waits', async () => {
    const { h, push, status } = await setUp();
    const arm = h.registry.addImage(repo, { platform: 'linux/arm/v7', tag: '2.7-x86', label: 'fixed' }).manifest.digest;
    expect(await push('2.7-x86', arm)).toMatchObject({ kind: 'recorded', publish: { kind: 'waiting' } });
    expect(await status()).toMatchObject({ state: 'waiting', error: null, missingPlatforms: ['linux/arm64'] });
  });
});
