import { describe, expect, it } from 'vitest';
import { backfillRepository, planBackfill } from '../../src/core/backfill.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { countingWorld } from './counting-world.ts';
import { config, world } from './fixtures.ts';

const repo = 'hello';

/**
 * A repository with history and no records: 1.0 and 1.2 complete (1.2 pushed by buildx), 1.1 missing
 * arm64, a tag the pattern does not match, and a per-arch tag whose manifest is not JSON.
 */
async function history() {
  const w = countingWorld();
  await w.store.putRepositoryConfig(repo, config());
  const images = {
    '1.0-amd64': w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.0-amd64' }).manifest.digest,
    '1.0-arm64': w.registry.addImage(repo, { platform: 'linux/arm64/v8', tag: '1.0-arm64' }).manifest.digest,
    '1.1-amd64': w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.1-amd64', label: '1.1' }).manifest.digest,
    '1.2-amd64': w.registry.addBuildxIndex(repo, { platform: 'linux/amd64', tag: '1.2-amd64', label: '1.2' }).image.manifest.digest,
    '1.2-arm64': w.registry.addBuildxIndex(repo, { platform: 'linux/arm64', tag: '1.2-arm64', label: '1.2' }).image.manifest.digest,
  };
  w.registry.tag(repo, 'latest', images['1.0-amd64']);
  const broken = w.registry.storeManifest(repo, '{"schemaVersion": 2,', MediaTypes.ociManifest, '1.3-amd64');
  w.writes.length = 0;
  return { w, images, broken };
}

describe('planBackfill', () => {
  it('writes nothing and lists every version with the action a backfill would take', async () => {
    const { w, broken } = await history();

    const plan = await planBackfill(w.deps, repo);

    expect(w.writes).toEqual([]);
    expect(w.registry.puts).toEqual([]);
    expect(await w.store.listVersions(repo, { limit: 10 })).toEqual({ versions: [], cursor: null });
    expect(plan).toEqual({
      repository: repo,
      tagsScanned: 7,
      versions: [
        {
          version: '1.0',
          platforms: ['linux/amd64', 'linux/arm64'],
          missingPlatforms: [],
          tags: ['1.0-amd64', '1.0-arm64'],
          action: 'publish',
        },
        { version: '1.1', platforms: ['linux/amd64'], missingPlatforms: ['linux/arm64'], tags: ['1.1-amd64'], action: 'wait' },
        {
          version: '1.2',
          platforms: ['linux/amd64', 'linux/arm64'],
          missingPlatforms: [],
          tags: ['1.2-amd64', '1.2-arm64'],
          action: 'publish',
        },
      ],
      problems: [{ tag: '1.3-amd64', error: expect.stringContaining(`manifest ${broken.digest} is not JSON`) }],
    });
  });

  it('leaves out the version tags manifest-assembler published itself', async () => {
    const { w } = await history();
    await backfillRepository(w.deps, repo);
    const plan = await planBackfill(w.deps, repo);
    expect(plan?.versions.map((v) => v.version)).toEqual(['1.0', '1.1', '1.2']);
    expect(plan?.problems.map((p) => p.tag)).toEqual(['1.3-amd64']);
  });

  it('looks platform overrides up by their own keys only (a tag ending in -constructor is an ordinary tag)', async () => {
    const w = world();
    await w.store.putRepositoryConfig(repo, config({ platformOverrides: { arm: 'linux/arm64' } }));
    w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.0-constructor' });
    w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.0-arm' }); // a cross-built image labelled with the host's arch
    const plan = await planBackfill(w.deps, repo);
    expect(plan?.problems).toEqual([]);
    expect(plan?.versions).toEqual([
      {
        version: '1.0',
        platforms: ['linux/amd64', 'linux/arm64'],
        missingPlatforms: [],
        tags: ['1.0-arm', '1.0-constructor'],
        action: 'publish',
      },
    ]);
  });

  it('does not promise to publish a version two of whose tags claim one platform with different images', async () => {
    const w = world();
    await w.store.putRepositoryConfig(repo, config());
    const a = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.0-amd64' }).manifest.digest;
    const b = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.0-x86', label: 'other' }).manifest.digest;
    w.registry.addImage(repo, { platform: 'linux/arm64', tag: '1.0-arm64' });

    const plan = await planBackfill(w.deps, repo);
    const entry = plan?.versions[0];
    expect(entry?.action).toBe('conflict');
    expect(plan?.problems).toHaveLength(1);
    for (const word of ['1.0-amd64', '1.0-x86', a, b, 'linux/amd64']) expect(plan?.problems[0]?.error).toContain(word);

    // The real run agrees: the version ends in conflict, both tags named (whatever it published before it saw the second tag).
    await backfillRepository(w.deps, repo);
    const record = await w.store.getVersion({ repository: repo, version: '1.0' });
    expect(record?.error).toMatchObject({ kind: 'conflict', revision: record?.revision });
    for (const word of ['1.0-amd64', '1.0-x86', a, b]) expect(record?.error?.message).toContain(word);
  });

  it('is undefined for a repository without configuration', async () => {
    const w = world();
    w.registry.addImage(repo, { platform: 'linux/amd64', tag: '1.0-amd64' });
    expect(await planBackfill(w.deps, repo)).toBeUndefined();
  });
});

describe('backfillRepository', () => {
  it('publishes every complete version from the existing per-arch tags, and leaves the incomplete one waiting', async () => {
    const { w, images } = await history();

    const reports = await backfillRepository(w.deps, repo, { limits: { maxTags: 3, maxVersions: 2 } });

    expect(reports.at(-1)?.cursor).toBeNull();
    expect(reports.flatMap((r) => r.pushesRecovered)).toEqual(['1.0-amd64', '1.0-arm64', '1.1-amd64', '1.2-amd64', '1.2-arm64']);
    for (const version of ['1.0', '1.2'] as const) {
      const body = expectValidIndex(w.registry.manifestAt(repo, version)!);
      const children = body.manifests.filter((m) => m.platform?.os !== 'unknown').map((m) => m.digest);
      expect(children).toEqual([images[`${version}-amd64`], images[`${version}-arm64`]]);
    }
    expect(await w.registry.resolveTag(repo, '1.1')).toBeUndefined();
    expect((await w.store.getVersion({ repository: repo, version: '1.1' }))?.images).toHaveProperty(['linux/amd64']);
    expect(await w.store.getVersion({ repository: repo, version: '1.3' })).toMatchObject({
      revision: 0,
      images: {},
      rejected: { '1.3-amd64': { tag: '1.3-amd64' } },
    });
    expect(w.logger.messages('warn').some((m) => m.startsWith('push rejected:') && m.includes('1.3-amd64'))).toBe(true);
    expect(
      w.registry.puts
        .filter((p) => p.result === 'stored')
        .map((p) => p.tag)
        .sort(),
    ).toEqual(['1.0', '1.2']);
  });

  it('run again, puts nothing', async () => {
    const { w } = await history();
    await backfillRepository(w.deps, repo);
    const puts = w.registry.puts.length;
    const reports = await backfillRepository(w.deps, repo);
    expect(reports.flatMap((r) => [...r.pushesRecovered, ...r.published])).toEqual([]);
    expect(w.registry.puts.length).toBe(puts);
  });

  it('stops after maxRuns pages with a cursor to resume from', async () => {
    const { w } = await history();
    const first = await backfillRepository(w.deps, repo, { limits: { maxTags: 1, maxVersions: 1 }, maxRuns: 2 });
    expect(first).toHaveLength(2);
    const cursor = first.at(-1)?.cursor;
    expect(cursor).toEqual(expect.any(String));
    const rest = await backfillRepository(w.deps, repo, { cursor, limits: { maxTags: 1, maxVersions: 1 }, maxRuns: 50 });
    expect(rest.at(-1)?.cursor).toBeNull();
    expect([...first, ...rest].flatMap((r) => r.pushesRecovered)).toEqual([
      '1.0-amd64',
      '1.0-arm64',
      '1.1-amd64',
      '1.2-amd64',
      '1.2-arm64',
    ]);
  });
});
