import { describe, expect, inject, it } from 'vitest';
import { seededRandom } from '../support/fakes.ts';
import { checkDeliveries, checkRegistryState } from '../support/invariants.ts';
import { faultSeeds, faultSuite, makeStack, reconcileFindings, reconcileToEnd } from './harness.ts';
import { runScenario, scenarioConfig } from './scenario.ts';
import { addCounts } from './summary.ts';

// Suite 1 of issue 4: randomised interleavings against the real registry and dynalite. Many versions
// × three platforms pushed concurrently, events delivered late, twice, out of order, rebuilds whose
// event may come before or after the old image's. After quiescence every invariant of docs/reliability.md is
// checked against the registry itself; then a reconcile pass must find nothing left to do.

const registryUrl = inject('registryUrl');
const SEEDS = faultSeeds([1, 20261127]);
const suite = faultSuite({ suite: 'interleavings', seeds: SEEDS, tablePrefix: 'faults-interleavings' });

describe('randomised interleavings (real registry, dynalite, on-image-push handler)', () => {
  it.each(SEEDS)('seed %i: every complete version publishes exactly buildIndex(current per-arch images)', async (seed) => {
    const random = seededRandom(seed);
    const store = suite.store();
    const stack = makeStack({ registryUrl, store });
    const repository = `faults/interleave-${seed}-${Math.floor(Math.random() * 1e6)}`;
    const config = scenarioConfig(['amd64', 'arm64', 'arm']);
    await store.putRepositoryConfig(repository, config);

    const run = await runScenario(stack, {
      registryUrl,
      repository,
      seed,
      random,
      versions: 8,
      arches: ['amd64', 'arm64', 'arm'],
      incompleteVersions: 1,
      rebuildChance: 0.35,
      duplicateChance: 0.4,
      buildxChance: 0.3,
      maxDelayMs: 150,
    });

    const before = await checkRegistryState({
      registryUrl,
      repository,
      config,
      store,
      seed,
      nowMs: Date.now(),
      indexPuts: stack.registry.puts,
      indexPutAttempts: stack.registry.attemptedPuts,
      expectIncomplete: run.incomplete,
    });
    const lost = checkDeliveries(run.deliveries, stack.logger.lines, seed);
    expect([...before.violations, ...lost], `seed ${seed}: replay with FAULT_SEED=${seed}`).toEqual([]);
    expect(before.complete, `seed ${seed}`).toBe(run.versions.length - run.incomplete.length);

    // Events alone converged; a reconcile pass over the same registry must agree and change nothing.
    const findings = reconcileFindings(await reconcileToEnd(stack.deps, repository));
    expect(findings, `seed ${seed}: reconcile after quiescence`).toEqual({ recovered: [], published: [], failures: [] });
    const after = await checkRegistryState({
      registryUrl,
      repository,
      config,
      store,
      seed,
      nowMs: Date.now(),
      indexPuts: stack.registry.puts,
    });
    expect(after.violations, `seed ${seed}`).toEqual([]);

    // Stale events (a rebuild's old digest) were read and ignored, not recorded over the new image.
    expect(run.outcomes.thrown ?? 0, `seed ${seed}: events dead-lettered`).toBe(0);
    suite.tally.addRun(run);
    suite.tally.addPuts(after);
    addCounts(suite.tally.faults, { 'own-index push events': run.ownPutEvents });
    console.log(
      `[faults] interleavings seed ${seed}: ${run.pushes} pushes (${run.rebuilds} rebuilds), ${run.events} events (${run.duplicates} duplicates, ${run.ownPutEvents} for own puts), outcomes ${JSON.stringify(run.outcomes)}, ${after.indexPuts} index PUTs of ${after.distinctIndexes} indexes`,
    );
  });
});
