import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.ts';
import { buildIndex } from '../../src/core/index-builder.ts';
import { PublishTiming } from '../../src/core/publish-gate.ts';
import { type ReconcileLimits, type ReconcileReport, reconcileRepository } from '../../src/core/reconcile.ts';
import type { RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { toVersionStatus } from '../../src/core/version-status.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { reconcileReportOf } from '../support/reconcile-report.ts';
import { countingWorld } from './counting-world.ts';
import { type World, world } from './fixtures.ts';
import { configure, push, pushSilently, repo } from './world-pushes.ts';

const HOUR = 3_600_000;

async function status(w: World, version = '2.7') {
  const record = await w.store.getVersion({ repository: repo, version });
  return toVersionStatus(record!, await w.store.getRepositoryConfig(repo), w.clock.now());
}

/** Follows the cursor until the repository is covered; fails if that takes more than `maxRuns`. */
async function reconcileToEnd(w: World, limits?: ReconcileLimits, maxRuns = 100): Promise<ReconcileReport[]> {
  const reports: ReconcileReport[] = [];
  let cursor: string | null = null;
  do {
    const report = await reconcileRepository(w.deps, repo, { cursor, ...(limits ? { limits } : {}) });
    reports.push(report);
    cursor = report.cursor;
    if (reports.length > maxRuns) throw new Error(`reconcile did not finish in ${maxRuns} runs`);
  } while (cursor !== null);
  return reports;
}

describe('reconcileRepository', () => {
  describe('when a push event was lost', () => {
    it('records the per-arch tag from the registry and publishes the version once it is complete', async () => {
      const w = world();
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      pushSilently(w, 'linux/arm64', '2.7-arm64');
      expect(await w.registry.resolveTag(repo, '2.7')).toBeUndefined();

      const report = await reconcileRepository(w.deps, repo);

      expect(report).toMatchObject({ repository: repo, pushesRecovered: ['2.7-arm64'], cursor: null, failures: [] });
      const index = w.registry.manifestAt(repo, '2.7');
      expect(index).toBeDefined();
      const body = expectValidIndex(index!);
      expect(body.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
      expect((await status(w)).state).toBe('published');
    });

    it('recovers a version none of whose events arrived, buildx indexes included', async () => {
      const w = world();
      await configure(w);
      const amd = w.registry.addBuildxIndex(repo, { platform: 'linux/amd64', tag: '3.0-amd64' });
      const arm = w.registry.addBuildxIndex(repo, { platform: 'linux/arm64', tag: '3.0-arm64' });

      const report = await reconcileRepository(w.deps, repo);

      expect(report.pushesRecovered).toEqual(['3.0-amd64', '3.0-arm64']);
      const body = expectValidIndex(w.registry.manifestAt(repo, '3.0')!);
      expect(body.manifests.map((m) => m.digest)).toEqual([
        amd.image.manifest.digest,
        amd.attestation.digest,
        arm.image.manifest.digest,
        arm.attestation.digest,
      ]);
    });

    it('records a lost rebuild: the per-arch tag moved to a new digest after its first push was recorded', async () => {
      const w = world();
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      const first = await w.registry.resolveTag(repo, '2.7');
      const rebuilt = pushSilently(w, 'linux/arm64', '2.7-arm64', 'build-2');

      const report = await reconcileRepository(w.deps, repo);

      expect(report.pushesRecovered).toEqual(['2.7-arm64']);
      const now = await w.registry.resolveTag(repo, '2.7');
      expect(now).not.toBe(first);
      expect(expectValidIndex(w.registry.manifestAt(repo, '2.7')!).manifests.map((m) => m.digest)).toContain(rebuilt);
    });
  });

  it('writes nothing and puts nothing when every tag is recorded and every version published', async () => {
    const w = countingWorld();
    await configure(w);
    await push(w, 'linux/amd64', '2.7-amd64');
    await push(w, 'linux/arm64', '2.7-arm64');
    await push(w, 'linux/amd64', '2.8-amd64'); // waiting, not stale: nothing to do either
    w.registry.tag(repo, 'latest', (await w.registry.resolveTag(repo, '2.7'))!); // a tag the pattern does not match
    const puts = w.registry.puts.length;
    w.writes.length = 0;

    const report = await reconcileRepository(w.deps, repo);

    expect(report).toEqual(reconcileReportOf(repo, { tagsScanned: 5, versionsChecked: 2 }));
    expect(w.writes).toEqual([]);
    expect(w.registry.puts.length).toBe(puts);
  });

  describe('when a publisher died holding the lease', () => {
    let w: World;
    beforeEach(async () => {
      w = world();
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      // The arm64 push was recorded, then its publisher took the lease and died before putting anything.
      const digest = pushSilently(w, 'linux/arm64', '2.7-arm64');
      const { readPushedImages } = await import('../../src/core/read-push.ts');
      const read = await readPushedImages(w.registry, { repository: repo, digest, tag: '2.7-arm64', pushedAt: w.clock.iso() });
      await w.store.updateImages(
        { repository: repo, version: '2.7' },
        { set: read.images, remove: [] },
        { expectedRevision: 1, now: w.clock.now() },
      );
      expect(
        await w.store.acquireLease(
          { repository: repo, version: '2.7' },
          { owner: 'dead-publisher', now: w.clock.now(), leaseMs: PublishTiming.leaseMs },
        ),
      ).toBeDefined();
    });

    it('leaves the version alone while the lease is live', async () => {
      const report = await reconcileRepository(w.deps, repo);
      expect(report).toMatchObject({ published: [], pushesRecovered: [], failures: [] });
      expect(w.registry.calls.putManifest).toBe(0);
      expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.lease?.owner).toBe('dead-publisher');
      expect((await status(w)).state).toBe('publishing');
    });

    it('publishes the version once the lease has expired', async () => {
      w.clock.advance(PublishTiming.leaseMs + 1);
      const report = await reconcileRepository(w.deps, repo);
      expect(report.published).toEqual(['2.7']);
      expect((await status(w)).state).toBe('published');
      expect(expectValidIndex(w.registry.manifestAt(repo, '2.7')!).manifests).toHaveLength(2);
      expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.lease).toBeUndefined();
    });

    it('finishes a publisher that died after putting the index but before recording it, with the same bytes', async () => {
      const record = (await w.store.getVersion({ repository: repo, version: '2.7' }))!;
      const expected = buildIndex(Object.values(record.images), 'auto').manifest;
      await w.registry.putManifest(repo, '2.7', expected);
      w.clock.advance(PublishTiming.leaseMs + 1);

      const report = await reconcileRepository(w.deps, repo);

      expect(report.published).toEqual(['2.7']);
      expect(report.drift).toEqual([]);
      expect(w.registry.manifestAt(repo, '2.7')?.digest).toBe(expected.digest);
      expect((await status(w)).published?.digest).toBe(expected.digest);
    });
  });

  it('publishes a waiting version once the config stops requiring its missing platform', async () => {
    const w = world();
    await configure(w, { requiredPlatforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'] });
    await push(w, 'linux/amd64', '2.7-amd64');
    await push(w, 'linux/arm64', '2.7-arm64');
    expect((await status(w)).state).toBe('waiting');
    expect(w.registry.calls.putManifest).toBe(0);

    await configure(w, { requiredPlatforms: ['linux/amd64', 'linux/arm64'] });
    const report = await reconcileRepository(w.deps, repo);

    expect(report.published).toEqual(['2.7']);
    expect(await status(w)).toMatchObject({ state: 'published', missingPlatforms: [], published: { partial: false, tags: ['2.7'] } });
  });

  describe('when a version stays incomplete beyond staleAfter', () => {
    it('with onStale wait: reports it stale, publishes nothing', async () => {
      const w = world();
      await configure(w, { staleAfter: '1h', onStale: 'wait' });
      await push(w, 'linux/amd64', '2.7-amd64');

      w.clock.advance(HOUR - 1);
      expect((await reconcileRepository(w.deps, repo)).stale).toEqual([]);
      expect((await status(w)).state).toBe('waiting');

      w.clock.advance(1);
      const report = await reconcileRepository(w.deps, repo);
      expect(report).toMatchObject({ stale: ['2.7'], published: [], publishedPartially: [] });
      expect(w.registry.calls.putManifest).toBe(0);
      expect(await status(w)).toMatchObject({ state: 'stale', missingPlatforms: ['linux/arm64'], published: null });
    });

    it('with onStale publish-partial: publishes what is there, then republishes complete when the rest arrives', async () => {
      const w = world();
      await configure(w, { staleAfter: '1h', onStale: 'publish-partial' });
      const amd = await push(w, 'linux/amd64', '2.7-amd64');
      expect(amd).toMatchObject({ kind: 'recorded', publish: { kind: 'waiting' } });
      w.clock.advance(HOUR);

      const report = await reconcileRepository(w.deps, repo);

      expect(report).toMatchObject({ stale: ['2.7'], publishedPartially: ['2.7'], published: [] });
      const partial = expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
      expect(partial.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64']);
      expect(await status(w)).toMatchObject({
        state: 'stale',
        missingPlatforms: ['linux/arm64'],
        published: { partial: true, tags: ['2.7'], digest: w.registry.manifestAt(repo, '2.7')!.digest },
      });

      // A second run does not publish the same partial index again.
      const putsBefore = w.registry.puts.length;
      expect((await reconcileRepository(w.deps, repo)).publishedPartially).toEqual([]);
      expect(w.registry.puts.length).toBe(putsBefore);

      const arm = await push(w, 'linux/arm64', '2.7-arm64');
      expect(arm).toMatchObject({ kind: 'recorded', publish: { kind: 'published' } });
      const complete = expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
      expect(complete.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
      expect(await status(w)).toMatchObject({ state: 'published', missingPlatforms: [], published: { partial: false } });
    });
  });

  describe('when someone else moved a published version tag', () => {
    async function publishedWorld(input: Partial<RepositoryConfigInput>) {
      const w = countingWorld();
      await configure(w, input);
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      const ours = (await w.registry.resolveTag(repo, '2.7'))!;
      const theirs = w.registry.addImage(repo, { platform: 'linux/amd64', label: 'hand-made' }).manifest.digest;
      return { w, ours, theirs };
    }

    it('with onDrift report: records a conflict naming both digests, and leaves the tag alone', async () => {
      const { w, ours, theirs } = await publishedWorld({ onDrift: 'report' });
      w.registry.tag(repo, '2.7', theirs);
      const puts = w.registry.puts.length;

      const report = await reconcileRepository(w.deps, repo);

      expect(report.drift).toEqual([{ version: '2.7', tag: '2.7', expected: ours, actual: theirs, action: 'reported' }]);
      expect(w.registry.puts.length).toBe(puts);
      expect(await w.registry.resolveTag(repo, '2.7')).toBe(theirs);
      const reported = await status(w);
      expect(reported.state).toBe('conflict');
      expect(reported.error).toContain(ours);
      expect(reported.error).toContain(theirs);
      expect(reported.error).toContain('onDrift: restore');
      expect(w.logger.lines.filter((l) => l.level === 'warn' && l.message.startsWith('drift'))).toHaveLength(1);

      // Reported once: later runs leave the conflict to a person and write nothing.
      w.writes.length = 0;
      expect((await reconcileRepository(w.deps, repo)).drift).toEqual([]);
      expect(w.writes).toEqual([]);
    });

    it('with onDrift report: says so when the tag was deleted', async () => {
      const { w, ours } = await publishedWorld({ onDrift: 'report' });
      w.registry.untag(repo, '2.7');
      const report = await reconcileRepository(w.deps, repo);
      expect(report.drift).toEqual([{ version: '2.7', tag: '2.7', expected: ours, actual: null, action: 'reported' }]);
      expect((await status(w)).error).toContain('points to nothing');
    });

    it('with onDrift restore: puts our index back, and the version stays published', async () => {
      const { w, ours, theirs } = await publishedWorld({ onDrift: 'restore' });
      w.registry.tag(repo, '2.7', theirs);
      const puts = w.registry.storedPuts(ours);

      const report = await reconcileRepository(w.deps, repo);

      expect(report.drift).toEqual([{ version: '2.7', tag: '2.7', expected: ours, actual: theirs, action: 'restored' }]);
      expect(await w.registry.resolveTag(repo, '2.7')).toBe(ours);
      expect(w.registry.storedPuts(ours)).toBe(puts + 1);
      expect(await status(w)).toMatchObject({ state: 'published', error: null, published: { digest: ours } });

      const again = await reconcileRepository(w.deps, repo);
      expect(again.drift).toEqual([]);
      expect(w.registry.storedPuts(ours)).toBe(puts + 1);
    });
  });

  describe('paging', () => {
    const versions = ['1.0', '1.1', '1.2', '1.3', '1.4'];
    const limits: ReconcileLimits = { maxTags: 2, maxVersions: 1 };

    it('bounds each run by the limits and, following the cursor, covers every tag and version exactly once', async () => {
      const w = world();
      await configure(w);
      const perArch = versions.flatMap((v) => [`${v}-amd64`, `${v}-arm64`]);
      for (const tag of perArch) pushSilently(w, `linux/${tag.split('-')[1]!}`, tag);
      w.registry.tag(repo, 'latest', w.registry.manifestAt(repo, '1.0-amd64')!.digest);

      const reports = await reconcileToEnd(w, limits);

      for (const report of reports) {
        expect(report.tagsScanned).toBeLessThanOrEqual(limits.maxTags);
        expect(report.versionsChecked).toBeLessThanOrEqual(limits.maxVersions);
      }
      expect(reports.flatMap((r) => r.pushesRecovered)).toEqual(perArch);
      expect(reports.reduce((n, r) => n + r.versionsChecked, 0)).toBe(versions.length);
      expect(reports.filter((r) => r.versionsChecked > 0)).toHaveLength(versions.length);
      expect(reports.flatMap((r) => r.failures)).toEqual([]);
      for (const version of versions) expectValidIndex(w.registry.manifestAt(repo, version)!);
      expect(reports.at(-1)?.cursor).toBeNull();
    });

    it('is idempotent: two more full passes change nothing and put nothing', async () => {
      const w = countingWorld();
      await configure(w);
      for (const v of versions) for (const arch of ['amd64', 'arm64']) pushSilently(w, `linux/${arch}`, `${v}-${arch}`);
      await reconcileToEnd(w, limits);
      const puts = w.registry.puts.length;
      expect(puts).toBe(versions.length);
      w.writes.length = 0;

      for (let pass = 0; pass < 2; pass++) {
        const reports = await reconcileToEnd(w, limits);
        expect(reports.flatMap((r) => [...r.pushesRecovered, ...r.published, ...r.publishedPartially, ...r.stale])).toEqual([]);
        expect(reports.flatMap((r) => r.drift)).toEqual([]);
      }
      expect(w.writes).toEqual([]);
      expect(w.registry.puts.length).toBe(puts);
    });

    it.each([
      ['not base64 JSON', 'garbage!'],
      ['JSON of another shape', Buffer.from('{"phase":"tags","after":5}').toString('base64url')],
      ['an unknown phase', Buffer.from('{"phase":"images"}').toString('base64url')],
      ['JSON null', Buffer.from('null').toString('base64url')],
      [
        'a versions cursor of another repository',
        Buffer.from(JSON.stringify({ phase: 'versions', cursor: 'eyJyZXBvc2l0b3J5Ijoib3RoZXIiLCJ2ZXJzaW9uIjoiMSJ9' })).toString(
          'base64url',
        ),
      ],
    ])('refuses a malformed cursor (%s) with an InvalidInputError naming cursor', async (_name, cursor) => {
      const w = countingWorld();
      await configure(w);
      pushSilently(w, 'linux/amd64', '2.7-amd64');
      const error = await reconcileRepository(w.deps, repo, { cursor }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe('cursor');
      expect((error as Error).message).toContain('cursor');
      expect(w.writes.filter((m) => m !== 'putRepositoryConfig')).toEqual([]);
    });
  });

  it('records a conflict between two per-arch tags once: later runs write nothing and put nothing', async () => {
    const w = countingWorld();
    await configure(w);
    const first = pushSilently(w, 'linux/amd64', '2.7-amd64');
    const second = pushSilently(w, 'linux/amd64', '2.7-x86', 'other build');

    await reconcileRepository(w.deps, repo);
    const conflicted = await status(w);
    expect(conflicted.state).toBe('conflict');
    for (const word of ['2.7-amd64', '2.7-x86', first, second]) expect(conflicted.error).toContain(word);

    w.writes.length = 0;
    for (let run = 0; run < 2; run++) await reconcileRepository(w.deps, repo);
    expect(w.writes).toEqual([]);
    expect(w.registry.calls.putManifest).toBe(0);
    expect(await status(w)).toEqual(conflicted);
  });

  it('returns an empty report, touching nothing, for a repository without configuration', async () => {
    const w = world();
    pushSilently(w, 'linux/amd64', '2.7-amd64');
    const report = await reconcileRepository(w.deps, repo);
    expect(report).toMatchObject({ tagsScanned: 0, versionsChecked: 0, pushesRecovered: [], cursor: null });
    expect(w.registry.calls.listTags).toBe(0);
  });

  it('reports a failing tag and goes on with the others', async () => {
    const w = world();
    await configure(w);
    pushSilently(w, 'linux/amd64', '2.7-amd64');
    pushSilently(w, 'linux/arm64', '2.7-arm64');
    const { ErrorCodes, RegistryError } = await import('../../src/core/errors.ts');
    w.registry.beforeCall = (method, args) => {
      if (method === 'resolveTag' && args[1] === '2.7-amd64')
        throw new RegistryError(ErrorCodes.unavailable, 'registry answered 503', { retryable: true });
    };
    const report = await reconcileRepository(w.deps, repo);
    expect(report.failures).toEqual([{ what: 'hello:2.7-amd64', error: 'registry answered 503' }]);
    expect(report.pushesRecovered).toEqual(['2.7-arm64']);

    w.registry.beforeCall = undefined;
    expect((await reconcileRepository(w.deps, repo)).pushesRecovered).toEqual(['2.7-amd64']);
    expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
  });
});
