import { describe, expect, it } from 'vitest';
import { reconcileRepository } from '../../src/core/reconcile.ts';
import { recordPush } from '../../src/core/record-push.ts';
import type { RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { countingWorld } from './counting-world.ts';
import { config, type World } from './fixtures.ts';

const repo = 'hello';
const TARGETS = ['{version}', '{major}.{minor}', 'latest'];

async function configure(w: World, input: Partial<RepositoryConfigInput> = {}): Promise<void> {
  await w.store.putRepositoryConfig(repo, config({ targetTags: TARGETS, ...input }));
}

/** Pushes both platforms of a version with their events: the last one publishes it. Returns the published digest. */
async function release(w: World, version: string): Promise<string> {
  for (const arch of ['amd64', 'arm64']) {
    const tag = `${version}-${arch}`;
    const digest = w.registry.addImage(repo, { platform: `linux/${arch}`, tag, label: version }).manifest.digest;
    await recordPush(w.deps, { repository: repo, digest, tag });
  }
  const published = (await w.store.getVersion({ repository: repo, version }))?.published?.digest;
  if (published === undefined) throw new Error(`${version} was not published`);
  return published;
}

describe('reconcileRepository and floating tags', () => {
  it('puts a floating tag back on its pointer when a crash left it on a lower version', async () => {
    const w = countingWorld();
    await configure(w);
    const v271 = await release(w, '2.7.1');
    const v280 = await release(w, '2.8.0');
    // As if 2.8.0's publisher died between claiming latest and putting it.
    w.registry.tag(repo, 'latest', v271);

    const report = await reconcileRepository(w.deps, repo);
    expect(report).toMatchObject({ floatingRepaired: ['latest'], drift: [], failures: [], published: [] });
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v280);
    expect(w.logger.messages('warn')).toContain('floating tag repaired');

    const puts = w.registry.calls.putManifest;
    const writes = w.writes.length;
    expect(await reconcileRepository(w.deps, repo)).toMatchObject({ floatingRepaired: [], drift: [], failures: [] });
    expect([w.registry.calls.putManifest, w.writes.length]).toEqual([puts, writes]);
  });

  it('puts back a floating tag that was deleted', async () => {
    const w = countingWorld();
    await configure(w);
    const v100 = await release(w, '1.0.0');
    w.registry.untag(repo, '1.0');
    expect((await reconcileRepository(w.deps, repo)).floatingRepaired).toEqual(['1.0']);
    expect(w.registry.manifestAt(repo, '1.0')?.digest).toBe(v100);
  });

  it('reports a floating tag someone else moved, and puts it back only with onDrift: restore', async () => {
    const w = countingWorld();
    await configure(w);
    const v100 = await release(w, '1.0.0');
    const theirs = w.registry.addImage(repo, { platform: 'linux/amd64', tag: 'latest', label: 'pushed by hand' }).manifest.digest;

    const reported = await reconcileRepository(w.deps, repo);
    expect(reported.drift).toEqual([{ version: '1.0.0', tag: 'latest', expected: v100, actual: theirs, action: 'reported' }]);
    expect(reported.floatingRepaired).toEqual([]);
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(theirs);
    // The version itself is fine: no conflict is recorded on it.
    expect((await w.store.getVersion({ repository: repo, version: '1.0.0' }))?.error).toBeUndefined();

    await configure(w, { onDrift: 'restore' });
    const restored = await reconcileRepository(w.deps, repo);
    expect(restored.drift).toEqual([{ version: '1.0.0', tag: 'latest', expected: v100, actual: theirs, action: 'restored' }]);
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v100);
  });

  it('moves a floating template added to the config to the highest published release, once', async () => {
    const w = countingWorld();
    await configure(w, { targetTags: ['{version}'] });
    await release(w, '1.9.0');
    const v200 = await release(w, '2.0.0');
    await release(w, '2.1.0-rc.1');
    await release(w, '1.10.0');
    expect(await w.registry.resolveTag(repo, 'latest')).toBeUndefined();

    await configure(w);
    const report = await reconcileRepository(w.deps, repo);
    expect([...report.floatingRepaired].sort()).toEqual(['1.10', '1.9', '2.0', 'latest']);
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v200);
    expect(w.registry.manifestAt(repo, '1.10')?.digest).toBe(w.registry.manifestAt(repo, '1.10.0')?.digest);
    expect(await reconcileRepository(w.deps, repo)).toMatchObject({ floatingRepaired: [], failures: [] });
  });

  it('leaves pointers of a template the config no longer has alone', async () => {
    const w = countingWorld();
    await configure(w);
    await release(w, '1.0.0');
    await configure(w, { targetTags: ['{version}'] });
    w.registry.untag(repo, 'latest');
    const puts = w.registry.calls.putManifest;
    expect(await reconcileRepository(w.deps, repo)).toMatchObject({ floatingRepaired: [], drift: [], failures: [] });
    expect(w.registry.calls.putManifest).toBe(puts);
  });

  it('reads no pointer for a repository without floating templates', async () => {
    const w = countingWorld();
    await configure(w, { targetTags: ['{version}'] });
    await release(w, '1.0.0');
    let listed = 0;
    const list = w.store.listFloatingTags.bind(w.store);
    w.store.listFloatingTags = async (repository) => {
      listed++;
      return list(repository);
    };
    await reconcileRepository(w.deps, repo);
    expect(listed).toBe(0);
  });
});
