import { describe, expect, it } from 'vitest';
import { recordPush } from '../../src/core/record-push.ts';
import { republishRepository } from '../../src/core/republish-repository.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { countingWorld } from './counting-world.ts';
import { config } from './fixtures.ts';

const repo = 'opt';

/** 1.0 and 1.1 published with amd64 + arm64; 1.2 waiting for arm64. Then arm64 leaves the config. */
async function history() {
  const w = countingWorld();
  await w.store.putRepositoryConfig(repo, config());
  const pushes: Array<[string, string]> = [
    ['1.0', 'linux/amd64'],
    ['1.0', 'linux/arm64'],
    ['1.1', 'linux/amd64'],
    ['1.1', 'linux/arm64'],
    ['1.2', 'linux/amd64'],
  ];
  for (const [version, platform] of pushes) {
    const tag = `${version}-${platform.split('/')[1]}`;
    const { digest } = w.registry.addImage(repo, { platform, tag, label: version }).manifest;
    await recordPush(w.deps, { repository: repo, tag, digest });
  }
  const published = async (version: string) => (await w.store.getVersion({ repository: repo, version }))?.published?.digest ?? null;
  const before = { '1.0': await published('1.0'), '1.1': await published('1.1') };
  expect(before['1.0']).not.toBeNull();
  const current = config({ requiredPlatforms: ['linux/amd64'] });
  await w.store.putRepositoryConfig(repo, current);
  w.registry.puts.length = 0;
  w.writes.length = 0;
  return { w, before, current, published };
}

describe('republishRepository', () => {
  it('in a dry run, lists what would change (old → new digest, platforms) and writes nothing', async () => {
    const { w, before, current } = await history();
    const report = await republishRepository(w.deps, repo, current, { dryRun: true });
    expect(w.writes).toEqual([]);
    expect(w.registry.puts).toEqual([]);
    expect(report).toMatchObject({
      repository: repo,
      dryRun: true,
      versionsChecked: 3,
      unchanged: 0,
      waiting: [],
      conflicts: [],
      failures: [],
      cursor: null,
    });
    expect(report.changed).toEqual([
      {
        version: '1.0',
        from: before['1.0'],
        to: expect.stringMatching(/^sha256:/),
        platformsAdded: [],
        platformsRemoved: ['linux/arm64'],
        movedTags: [],
      },
      {
        version: '1.1',
        from: before['1.1'],
        to: expect.stringMatching(/^sha256:/),
        platformsAdded: [],
        platformsRemoved: ['linux/arm64'],
        movedTags: [],
      },
      // Complete under the new config: published for the first time.
      {
        version: '1.2',
        from: null,
        to: expect.stringMatching(/^sha256:/),
        platformsAdded: ['linux/amd64'],
        platformsRemoved: [],
        movedTags: [],
      },
    ]);
  });

  it('republishes exactly what the dry run announced, then finds nothing more to do', async () => {
    const { w, current, published } = await history();
    const plan = await republishRepository(w.deps, repo, current, { dryRun: true });
    const report = await republishRepository(w.deps, repo, current);
    expect(report.changed).toEqual(plan.changed.map((c) => ({ ...c })));
    expect(w.registry.puts.map((p) => p.tag)).toEqual(['1.0', '1.1', '1.2']);
    for (const version of ['1.0', '1.1', '1.2']) {
      const index = expectValidIndex(w.registry.manifestAt(repo, version)!);
      expect(index.manifests.map((c) => c.platform?.architecture)).toEqual(['amd64']);
      expect(await published(version)).toBe(w.registry.manifestAt(repo, version)?.digest);
    }

    const again = await republishRepository(w.deps, repo, current);
    expect(again).toMatchObject({ changed: [], unchanged: 3 });
    expect(w.registry.puts).toHaveLength(3);
    expect((await republishRepository(w.deps, repo, current, { dryRun: true })).unchanged).toBe(3);
  });

  it('lists a version that misses a newly required platform and leaves its index alone', async () => {
    const { w, before } = await history();
    const stricter = config({ requiredPlatforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] });
    await w.store.putRepositoryConfig(repo, stricter);
    for (const dryRun of [true, false]) {
      const report = await republishRepository(w.deps, repo, stricter, { dryRun });
      expect(report.changed).toEqual([]);
      expect(report.waiting).toEqual([
        { version: '1.0', missingPlatforms: ['linux/arm/v7'] },
        { version: '1.1', missingPlatforms: ['linux/arm/v7'] },
        { version: '1.2', missingPlatforms: ['linux/arm64', 'linux/arm/v7'] },
      ]);
    }
    expect(w.registry.puts).toEqual([]);
    expect(w.registry.manifestAt(repo, '1.0')?.digest).toBe(before['1.0']);
  });

  it('records a per-arch tag moved without its event, and reports the version with the tag (dry run: to be read first)', async () => {
    const { w, before } = await history();
    const original = config();
    await w.store.putRepositoryConfig(repo, original);
    w.registry.addImage(repo, { platform: 'linux/arm64', tag: '1.0-arm64', label: 'rebuild' });

    const plan = await republishRepository(w.deps, repo, original, { dryRun: true });
    expect(plan.changed).toEqual([
      { version: '1.0', from: before['1.0'], to: null, platformsAdded: [], platformsRemoved: [], movedTags: ['1.0-arm64'] },
    ]);
    expect(w.registry.puts).toEqual([]);

    const report = await republishRepository(w.deps, repo, original);
    const now = w.registry.manifestAt(repo, '1.0')?.digest;
    expect(now).not.toBe(before['1.0']);
    expect(report.changed).toEqual([
      { version: '1.0', from: before['1.0'], to: now, platformsAdded: [], platformsRemoved: [], movedTags: ['1.0-arm64'] },
    ]);
    expect(report).toMatchObject({ unchanged: 1, waiting: [{ version: '1.2', missingPlatforms: ['linux/arm64'] }] });
  });

  it('goes page by page and resumes from the cursor', async () => {
    const { w, current } = await history();
    const first = await republishRepository(w.deps, repo, current, { pageSize: 1, maxVersions: 2 });
    expect(first.versionsChecked).toBe(2);
    expect(first.changed.map((c) => c.version)).toEqual(['1.0', '1.1']);
    expect(first.cursor).not.toBeNull();
    const rest = await republishRepository(w.deps, repo, current, { pageSize: 1, maxVersions: 2, cursor: first.cursor });
    expect(rest.changed.map((c) => c.version)).toEqual(['1.2']);
    expect(rest.cursor).toBeNull();
  });

  it('stops starting pages once the deadline has passed', async () => {
    const { w, current } = await history();
    const report = await republishRepository(w.deps, repo, current, { pageSize: 1, deadline: w.clock.now() });
    expect(report.versionsChecked).toBe(1);
    expect(report.cursor).not.toBeNull();
  });
});
