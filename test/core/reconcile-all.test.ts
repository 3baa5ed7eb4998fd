import { describe, expect, it } from 'vitest';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import type { ReconcileLimits, ReconcileReport } from '../../src/core/reconcile.ts';
import { reconcileAll, reconcileCheckpointName } from '../../src/core/reconcile-all.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { config, type World, world } from './fixtures.ts';

const limits: ReconcileLimits = { maxTags: 2, maxVersions: 1 };
/** Virtual time one page of work takes: every listTags and listVersions call moves the clock this much. */
const PAGE_MS = 1_000;

/** Repositories whose per-arch pushes all went unrecorded (lost events); one page of work costs PAGE_MS. */
async function lostPushes(repositories: Record<string, readonly string[]>): Promise<World & { perArch: Record<string, string[]> }> {
  const w = world();
  const perArch: Record<string, string[]> = {};
  for (const [repository, versions] of Object.entries(repositories)) {
    await w.store.putRepositoryConfig(repository, config());
    perArch[repository] = versions.flatMap((v) => [`${v}-amd64`, `${v}-arm64`]);
    for (const tag of perArch[repository]) w.registry.addImage(repository, { platform: `linux/${tag.split('-')[1]!}`, tag });
  }
  w.registry.beforeCall = (method) => {
    if (method === 'listTags') w.clock.advance(PAGE_MS);
  };
  const listVersions = w.store.listVersions.bind(w.store);
  w.store.listVersions = async (...args) => {
    w.clock.advance(PAGE_MS);
    return listVersions(...args);
  };
  return { ...w, perArch };
}

/** One pass with time for exactly one page (the deadline is checked before each page). */
function onePagePass(w: World): Promise<ReconcileReport[]> {
  return reconcileAll(w.deps, { deadline: w.clock.now() + 1, limits });
}

describe('reconcileAll', () => {
  it('covers every repository in one pass when there is time, and clears the checkpoints', async () => {
    const w = await lostPushes({ alpha: ['1.0', '1.1'], beta: ['2.0'] });
    const reports = await reconcileAll(w.deps, { deadline: w.clock.now() + 60 * PAGE_MS, limits });
    expect(reports.filter((r) => r.repository === 'alpha').flatMap((r) => r.pushesRecovered)).toEqual(w.perArch.alpha);
    expect(reports.filter((r) => r.repository === 'beta').flatMap((r) => r.pushesRecovered)).toEqual(w.perArch.beta);
    for (const [repository, version] of [
      ['alpha', '1.0'],
      ['alpha', '1.1'],
      ['beta', '2.0'],
    ] as const) {
      expectValidIndex(w.registry.manifestAt(repository, version)!);
    }
    expect(await w.store.getCheckpoint(reconcileCheckpointName('alpha'))).toBeUndefined();
    expect(await w.store.getCheckpoint(reconcileCheckpointName('beta'))).toBeUndefined();
  });

  it('does nothing when the deadline has passed already, and says so', async () => {
    const w = await lostPushes({ alpha: ['1.0'] });
    const reports = await reconcileAll(w.deps, { deadline: w.clock.now(), limits });
    expect(reports).toEqual([]);
    expect(w.registry.calls.listTags).toBe(0);
    expect(w.logger.messages('info')).toContain('reconcile pass out of time; the next pass resumes here');
  });

  it('stops at the deadline, saves the cursor as a checkpoint, and the next pass resumes from it', async () => {
    const w = await lostPushes({ alpha: ['1.0', '1.1', '1.2'] });
    const first = await onePagePass(w);
    expect(first).toHaveLength(1);
    expect(first[0]?.pushesRecovered).toEqual(['1.0-amd64', '1.0-arm64']);
    const saved = await w.store.getCheckpoint(reconcileCheckpointName('alpha'));
    expect(saved).toBe(first[0]?.cursor);
    expect(saved).toEqual(expect.any(String));

    const second = await onePagePass(w);
    expect(second).toHaveLength(1);
    expect(second[0]?.pushesRecovered).toEqual(['1.1-amd64', '1.1-arm64']);

    const recovered = [...first, ...second].flatMap((r) => r.pushesRecovered);
    for (let pass = 0; pass < 20 && (await w.store.getCheckpoint(reconcileCheckpointName('alpha'))) !== undefined; pass++) {
      recovered.push(...(await onePagePass(w)).flatMap((r) => r.pushesRecovered));
    }
    expect(recovered).toEqual(w.perArch.alpha);
    for (const version of ['1.0', '1.1', '1.2']) expectValidIndex(w.registry.manifestAt('alpha', version)!);
  });

  it('runs as many pages as the time allows and no more', async () => {
    const w = await lostPushes({ alpha: ['1.0', '1.1', '1.2'] });
    const reports = await reconcileAll(w.deps, { deadline: w.clock.now() + 2 * PAGE_MS + 1, limits });
    expect(reports).toHaveLength(3);
    expect(w.registry.calls.listTags).toBe(3);
  });

  it('reaches every repository over several short passes, even when an earlier one needs more than a pass', async () => {
    // Each pass has time for one page. A pass that always starts at alpha never reaches beta.
    const w = await lostPushes({ alpha: ['1.0', '1.1'], beta: ['2.0'] });
    const recovered: string[] = [];
    for (let pass = 0; pass < 6; pass++)
      recovered.push(...(await onePagePass(w)).flatMap((r) => r.pushesRecovered.map((t) => `${r.repository}:${t}`)));
    expect(recovered).toEqual(expect.arrayContaining(['beta:2.0-amd64', 'beta:2.0-arm64']));
    expectValidIndex(w.registry.manifestAt('beta', '2.0')!);
  });

  it('goes on with the other repositories when one fails: a broken cursor starts over, a passing failure resumes', async () => {
    const w = await lostPushes({ alpha: ['1.0'], beta: ['2.0'], gamma: ['3.0'] });
    await w.store.putCheckpoint(reconcileCheckpointName('beta'), 'stale-cursor');
    const advance = w.registry.beforeCall;
    w.registry.beforeCall = (method, args) => {
      advance?.(method, args);
      if (method === 'listTags' && args[0] === 'gamma')
        throw new RegistryError(ErrorCodes.unavailable, 'registry answered 503', { retryable: true });
    };

    const reports = await reconcileAll(w.deps, { deadline: w.clock.now() + 60 * PAGE_MS, limits });

    expect([...new Set(reports.map((r) => r.repository))]).toEqual(['alpha']);
    expectValidIndex(w.registry.manifestAt('alpha', '1.0')!);
    const errors = w.logger.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => [l.message, l.fields.repository])).toEqual([
      ['reconcile of a repository failed; starting it over next pass', 'beta'],
      ['reconcile of a repository failed; resuming it next pass', 'gamma'],
    ]);
    expect(errors[0]?.fields.error).toContain('cursor');
    expect(errors[1]?.fields.error).toBe('registry answered 503');
    expect(await w.store.getCheckpoint(reconcileCheckpointName('beta'))).toBeUndefined();

    w.registry.beforeCall = advance;
    const next = await reconcileAll(w.deps, { deadline: w.clock.now() + 60 * PAGE_MS, limits });
    expect(next.filter((r) => r.repository !== 'alpha').flatMap((r) => r.pushesRecovered)).toEqual([
      ...w.perArch.beta!,
      ...w.perArch.gamma!,
    ]);
  });

  it('logs a line per page that found something, and none for pages that found nothing', async () => {
    const w = await lostPushes({ alpha: ['1.0'] });
    await reconcileAll(w.deps, { deadline: w.clock.now() + 60 * PAGE_MS, limits });
    const found = w.logger.lines.filter((l) => l.message === 'reconciled').length;
    expect(found).toBeGreaterThan(0);
    const before = w.logger.lines.length;
    await reconcileAll(w.deps, { deadline: w.clock.now() + 60 * PAGE_MS, limits });
    expect(w.logger.lines.slice(before).filter((l) => l.message === 'reconciled')).toEqual([]);
  });

  it('keeps where a repository was when the registry fails on the way (a retryable error), and resumes there', async () => {
    const w = await lostPushes({ alpha: ['1.0', '1.1'] });
    await onePagePass(w);
    const saved = await w.store.getCheckpoint(reconcileCheckpointName('alpha'));
    expect(saved).toBeDefined();
    const advance = w.registry.beforeCall;
    w.registry.beforeCall = (method, args) => {
      advance?.(method, args);
      if (method === 'listTags') throw new RegistryError(ErrorCodes.unavailable, 'registry answered 503', { retryable: true });
    };
    await reconcileAll(w.deps, { deadline: w.clock.now() + 60 * PAGE_MS, limits });
    expect(await w.store.getCheckpoint(reconcileCheckpointName('alpha'))).toBe(saved);
  });
});
