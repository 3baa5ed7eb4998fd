import { describe, expect, inject, it } from 'vitest';
import type { ImageRegistry } from '../../src/core/ports.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { floatingTargetTags } from '../../src/core/target-tags.ts';
import { seededRandom } from '../support/fakes.ts';
import { checkDeliveries, checkFloatingTags, checkRegistryState } from '../support/invariants.ts';
import { faultSeeds, faultSuite, makeStack, reconcileToEnd, sleep } from './harness.ts';
import { PLATFORM_OF, runScenario } from './scenario.ts';
import { addCounts } from './summary.ts';

// Racing publishes of several releases against the real registry and dynalite, through the real
// on-image-push handler: the versions of three release lines, a pre-release and a version that is not
// semver are pushed at once, rebuilt, their events delivered late, twice, out of order (our own index
// puts raise events too). Once events stop, every floating tag must hold the highest complete
// release's index and its pointer must name it; the exact tags keep every invariant of docs/reliability.md.

const registryUrl = inject('registryUrl');
const SEEDS = faultSeeds([1, 2]); // both catch a publisher that does not re-read the pointer after its put
// The first is left incomplete: the highest release never moves anything.
const VERSION_NAMES = ['3.0.0', '1.0.0', '1.0.1', '1.1.0', 'v1.1.1', '2.0.0', '2.0.1-rc.1', '2.1', '1.2.0', '0.9.0'];
const TARGET_TAGS = ['{version}', '{major}', '{major}.{minor}', 'latest'];
const suite = faultSuite({ suite: 'floating tags', seeds: SEEDS, tablePrefix: 'faults-floating' });

function withSlowPuts(registry: ImageRegistry, random: () => number): ImageRegistry {
  return new Proxy(registry, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'putManifest') return value.bind(target);
      return async (...args: unknown[]) => {
        if (random() < 0.3) await sleep(Math.floor(random() * 400));
        return Reflect.apply(value, target, args) as unknown;
      };
    },
  });
}

describe('floating tags under racing publishes (real registry, dynalite, on-image-push handler)', () => {
  it.each(SEEDS)('seed %i: every floating tag ends on the highest complete release, never a lower one', async (seed) => {
    const random = seededRandom(seed);
    const store = suite.store();
    // Some index PUTs are slow (a throttled PutImage): a lower version's put then lands after a higher
    // version has claimed and put the tag, the race the pointer re-read exists for.
    const slowPuts = seededRandom(seed + 1);
    const stack = makeStack({ registryUrl, store, wrapRegistry: (registry) => withSlowPuts(registry, slowPuts) });
    const repository = `faults/floating-${seed}-${Math.floor(Math.random() * 1e6)}`;
    const arches = ['amd64', 'arm64'] as const;
    const config = normaliseRepositoryConfig({ requiredPlatforms: arches.map((a) => PLATFORM_OF[a]), targetTags: TARGET_TAGS });
    await store.putRepositoryConfig(repository, config);

    const run = await runScenario(stack, {
      registryUrl,
      repository,
      seed,
      random,
      versions: VERSION_NAMES.length,
      versionNames: VERSION_NAMES,
      arches,
      incompleteVersions: 1,
      rebuildChance: 0.35,
      duplicateChance: 0.4,
      buildxChance: 0.3,
      maxDelayMs: 150,
    });
    expect(run.incomplete).toEqual(['3.0.0']);

    // Exact tags keep the usual bound on PUTs of one index; floating tags are checked below.
    const releasesOf = new Map<string, number>();
    for (const version of run.versions.filter((v) => !run.incomplete.includes(v))) {
      for (const tag of floatingTargetTags(config, version)) releasesOf.set(tag, (releasesOf.get(tag) ?? 0) + 1);
    }
    const isFloating = (put: { tag: string }) => releasesOf.has(put.tag);
    const exact = await checkRegistryState({
      registryUrl,
      repository,
      config,
      store,
      seed,
      nowMs: Date.now(),
      expectIncomplete: run.incomplete,
      indexPuts: stack.registry.puts.filter((p) => !isFloating(p)),
      indexPutAttempts: stack.registry.attemptedPuts.filter((p) => !isFloating(p)),
    });
    const floating = await checkFloatingTags({ registryUrl, repository, config, store, seed });
    const lost = checkDeliveries(run.deliveries, stack.logger.lines, seed);
    // A floating tag's index is put by its own publisher, plus at most once more by each lower release
    // whose put landed late (it puts the higher index back): bounded by the releases, never by the events.
    const floatingPuts = new Map<string, number>();
    for (const put of stack.registry.puts.filter(isFloating))
      floatingPuts.set(`${put.tag} ${put.digest}`, (floatingPuts.get(`${put.tag} ${put.digest}`) ?? 0) + 1);
    const tooMany = [...floatingPuts]
      .filter(([key, n]) => n > (releasesOf.get(key.split(' ')[0]!) ?? 0) + 1)
      .map(([key, n]) => `${key} put ${n} times`);
    expect([...exact.violations, ...floating.violations, ...lost, ...tooMany], `seed ${seed}: replay with FAULT_SEED=${seed}`).toEqual([]);
    expect(floating.floating, `seed ${seed}`).toEqual({
      '0': '0.9.0',
      '0.9': '0.9.0',
      '1': '1.2.0',
      '1.0': '1.0.1',
      '1.1': 'v1.1.1',
      '1.2': '1.2.0',
      '2': '2.0.0',
      '2.0': '2.0.0',
      latest: '2.0.0',
    });

    // Events alone converged; a reconcile pass must agree and repair nothing.
    const reports = await reconcileToEnd(stack.deps, repository);
    expect(
      reports.flatMap((r) => [...r.floatingRepaired, ...r.published, ...r.failures.map((f) => f.error)]),
      `seed ${seed}`,
    ).toEqual([]);
    expect((await checkFloatingTags({ registryUrl, repository, config, store, seed })).violations).toEqual([]);

    const mostFloating = Math.max(0, ...floatingPuts.values());
    suite.tally.addRun(run);
    suite.tally.addPuts({
      indexPuts: stack.registry.puts.length,
      distinctIndexes: exact.distinctIndexes,
      maxPutsOfOneIndex: Math.max(exact.maxPutsOfOneIndex, mostFloating),
    });
    addCounts(suite.tally.faults, { 'own-index push events': run.ownPutEvents });
    console.log(
      `[faults] floating seed ${seed}: ${run.pushes} pushes (${run.rebuilds} rebuilds), ${run.events} events, ${exact.indexPuts} exact and ${stack.registry.puts.filter(isFloating).length} floating index PUTs, most of one index under one exact tag ${exact.maxPutsOfOneIndex}, under one floating tag ${mostFloating}`,
    );
  });
});
