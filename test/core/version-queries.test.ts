import { describe, expect, it } from 'vitest';
import { recordPush } from '../../src/core/record-push.ts';
import { getVersionStatus, listVersionStatuses } from '../../src/core/version-status.ts';
import { config, type World, world } from './fixtures.ts';

const repo = 'hello';

async function release(w: World, version: string): Promise<void> {
  for (const arch of ['amd64', 'arm64']) {
    const tag = `${version}-${arch}`;
    const digest = w.registry.addImage(repo, { platform: `linux/${arch}`, tag, label: version }).manifest.digest;
    await recordPush(w.deps, { repository: repo, digest, tag });
  }
}

/** Counts the store reads of floating tag pointers. */
function countPointerReads(w: World): { lists: number; gets: number } {
  const counts = { lists: 0, gets: 0 };
  const list = w.store.listFloatingTags.bind(w.store);
  const get = w.store.getFloatingTag.bind(w.store);
  w.store.listFloatingTags = async (repository) => {
    counts.lists++;
    return list(repository);
  };
  w.store.getFloatingTag = async (repository, tag) => {
    counts.gets++;
    return get(repository, tag);
  };
  return counts;
}

describe('version queries with floating tags', () => {
  it('lists a page of versions with their tags and notes, reading the pointers once', async () => {
    const w = world();
    await w.store.putRepositoryConfig(repo, config({ targetTags: ['{version}', '{major}.{minor}', 'latest'] }));
    for (const version of ['2.7.1', '2.8.0', '2.7.2', '2.9.0-rc1']) await release(w, version);
    const reads = countPointerReads(w);
    const page = await listVersionStatuses(w.deps, repo, { limit: 10 });
    expect(page.versions.map((v) => [v.version, v.tags, v.notes])).toEqual([
      ['2.7.1', ['2.7.1'], ['2.7 stays on 2.7.2 (newer)', 'latest stays on 2.8.0 (newer)']],
      ['2.7.2', ['2.7.2', '2.7'], ['latest stays on 2.8.0 (newer)']],
      ['2.8.0', ['2.8.0', '2.8', 'latest'], []],
      ['2.9.0-rc1', ['2.9.0-rc1'], ['2.9.0-rc1 is a pre-release: floating tags ({major}.{minor}, latest) do not move to it']],
    ]);
    expect(reads).toEqual({ lists: 1, gets: 0 });
    expect((await getVersionStatus(w.deps, { repository: repo, version: '2.8.0' })).tags).toEqual(['2.8.0', '2.8', 'latest']);
    expect(reads).toEqual({ lists: 2, gets: 0 });
  });

  it('reads no pointer when the config has no floating template', async () => {
    const w = world();
    await w.store.putRepositoryConfig(repo, config());
    await release(w, '1.0.0');
    const reads = countPointerReads(w);
    expect((await listVersionStatuses(w.deps, repo, {})).versions[0]).toMatchObject({ tags: ['1.0.0'], notes: [] });
    expect((await getVersionStatus(w.deps, { repository: repo, version: '1.0.0' })).tags).toEqual(['1.0.0']);
    expect(reads).toEqual({ lists: 0, gets: 0 });
  });
});
