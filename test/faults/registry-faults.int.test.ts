import { describe, expect, inject, it } from 'vitest';
import { isRetryable } from '../../src/core/errors.ts';
import { seededRandom } from '../support/fakes.ts';
import { CallKinds, FaultKinds, type FaultRules, startFaultProxy } from '../support/fault-proxy.ts';
import { checkDeliveries, checkRegistryState } from '../support/invariants.ts';
import { faultSeeds, faultSuite, makeStack, reconcileFindings, reconcileToEnd } from './harness.ts';
import { runScenario, scenarioConfig } from './scenario.ts';
import { addCounts } from './summary.ts';

// Suite 2 of issue 4: the same randomised scenario with the adapter talking to the registry through a
// fault-injecting proxy: 500, 429 with Retry-After, hangs past the adapter's timeout, connection
// resets before the registry sees the call, and (for PUTs) after it stored it. Thrown events are
// redelivered with back-off as Lambda would; then every invariant is checked against the registry.

const registryUrl = inject('registryUrl');
/** Seeds known to inject faults on every kind of call: the suite's coverage rests on these. */
const FIXED_SEEDS = [7];
const SEEDS = faultSeeds(FIXED_SEEDS);
/** The adapter's per-request timeout: a hung call must fail fast, and be retried. */
const ADAPTER_TIMEOUT_MS = 400;
const ALL_FAULTS = [FaultKinds.serverError, FaultKinds.throttled, FaultKinds.hang, FaultKinds.reset];

function everyFaultOn(maxFaults: number): FaultRules {
  return {
    [CallKinds.getManifest]: { probability: 0.12, faults: ALL_FAULTS, maxFaults },
    [CallKinds.headManifest]: { probability: 0.12, faults: ALL_FAULTS, maxFaults },
    [CallKinds.getBlob]: { probability: 0.15, faults: ALL_FAULTS, maxFaults },
    [CallKinds.putManifest]: { probability: 0.3, faults: [...ALL_FAULTS, FaultKinds.resetAfter], maxFaults },
    [CallKinds.tagsList]: { probability: 0.8, faults: ALL_FAULTS, maxFaults },
  };
}

const suite = faultSuite({ suite: 'registry faults', seeds: SEEDS, tablePrefix: 'faults-registry' });

describe('registry faults through a proxy (500, 429 + Retry-After, hang past timeout, reset before/after)', () => {
  it.each(SEEDS)('seed %i: redelivered events converge; invariants hold against the registry', async (seed) => {
    const random = seededRandom(seed);
    const proxy = await startFaultProxy({
      upstream: registryUrl,
      random: seededRandom(seed ^ 0x5eed),
      rules: everyFaultOn(6),
      retryAfterSeconds: 1,
    });
    try {
      const store = suite.store();
      const stack = makeStack({ registryUrl: proxy.url, store, timeoutMs: ADAPTER_TIMEOUT_MS });
      const repository = `faults/proxy-${seed}-${Math.floor(Math.random() * 1e6)}`;
      const config = scenarioConfig(['amd64', 'arm64', 'arm']);
      await store.putRepositoryConfig(repository, config);

      const run = await runScenario(stack, {
        registryUrl,
        repository,
        seed,
        random,
        versions: 6,
        arches: ['amd64', 'arm64', 'arm'],
        incompleteVersions: 1,
        rebuildChance: 0.3,
        duplicateChance: 0.3,
        buildxChance: 0.3,
        maxDelayMs: 150,
        delivery: { maxAttempts: 15, baseBackoffMs: 100, maxBackoffMs: 1_500 },
      });
      const eventFaults = proxy.faultCounts();

      // What the registry accepted, seen at the wire: a PUT whose answer was cut still landed.
      const accepted = proxy.calls
        .filter((c) => c.kind === CallKinds.putManifest && c.upstreamStatus === 201 && c.digest !== undefined)
        .map((c) => ({
          tag: decodeURIComponent(c.path.split('/manifests/')[1] ?? ''),
          digest: c.digest as string,
          cut: c.fault === FaultKinds.resetAfter,
        }));
      const cutByDigest = new Map<string, number>();
      for (const put of accepted.filter((p) => p.cut)) cutByDigest.set(put.digest, (cutByDigest.get(put.digest) ?? 0) + 1);

      const state = await checkRegistryState({
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
      const overPut = [...new Set(accepted.map((p) => p.digest))]
        .map((digest) => ({ digest, count: accepted.filter((p) => p.digest === digest).length, cut: cutByDigest.get(digest) ?? 0 }))
        .filter((p) => p.count > 3 + p.cut)
        .map((p) => `[seed ${seed}] index ${p.digest} accepted ${p.count} times (${p.cut} answers cut): more than bounded retries`);
      expect(
        [...state.violations, ...lost, ...overPut],
        `seed ${seed}: replay with FAULT_SEED=${seed}; faults ${JSON.stringify(eventFaults)}`,
      ).toEqual([]);
      // Each call faults by chance, so a fresh seed (or one replayed with FAULT_SEED) may draw only a few
      // faults over its six versions: its invariants still had to hold, but it proves little, and it
      // says so instead of failing the run. The fixed seeds must inject faults, or the suite tests nothing.
      const injected = Object.values(eventFaults).reduce((a, b) => a + b, 0);
      if (FIXED_SEEDS.includes(seed)) expect(injected, `seed ${seed}: faults were injected`).toBeGreaterThan(5);
      else if (injected <= 5)
        console.log(`[faults] registry faults seed ${seed}: a quiet draw, only ${injected} faults injected while the events ran`);

      // A reconcile pass under the same faults may fail (a tag list cut off ends the run with a
      // retryable error; reconcileAll then starts that repository over next pass) but must break nothing.
      try {
        await reconcileToEnd(stack.deps, repository);
      } catch (error) {
        expect(isRetryable(error), `seed ${seed}: reconcile under faults failed with ${String(error)}`).toBe(true);
      }
      const underFaults = await checkRegistryState({ registryUrl, repository, config, store, seed, nowMs: Date.now() });
      expect(underFaults.violations, `seed ${seed}: after a reconcile pass under faults`).toEqual([]);
      proxy.setRules({});
      const clean = reconcileFindings(await reconcileToEnd(stack.deps, repository));
      expect(clean, `seed ${seed}: a clean reconcile pass finds nothing left`).toEqual({ recovered: [], published: [], failures: [] });

      addCounts(suite.tally.faults, proxy.faultCounts());
      suite.tally.addRun(run);
      suite.tally.addPuts({
        indexPuts: accepted.length,
        distinctIndexes: new Set(accepted.map((p) => p.digest)).size,
        maxPutsOfOneIndex: Math.max(0, ...accepted.map((p) => accepted.filter((q) => q.digest === p.digest).length)),
      });
      console.log(
        `[faults] registry faults seed ${seed}: ${run.events} events, ${run.deliveries.length} deliveries (redeliveries included), outcomes ${JSON.stringify(run.outcomes)}, faults ${JSON.stringify(proxy.faultCounts())}, ${accepted.length} index PUTs accepted of ${stack.registry.attempts} attempts`,
      );
    } finally {
      await proxy.close();
    }
  });
});
