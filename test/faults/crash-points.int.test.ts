import { describe, expect, inject, it } from 'vitest';
import { PublishTiming } from '../../src/core/publish-gate.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { seededRandom } from '../support/fakes.ts';
import { pushImage } from '../support/images.ts';
import { checkDeliveries, checkRegistryState, type Delivery, type IndexPut } from '../support/invariants.ts';
import { RecordingVersionEvents } from '../support/recording-events.ts';
import { Crash, CrashingProcess, type CrashPoint } from './crash.ts';
import { deliverWithRetry, ecrPushEvent, faultSuite, makeStack, reconcileFindings, reconcileToEnd, ScaledClock } from './harness.ts';
import { addCounts } from './summary.ts';

// Suite 4 of issue 4: the process killed at each step of the publish protocol. The last per-arch
// push of a version is handled by a process that dies at the crash point; its lease stays behind.
// Until the lease expires nobody else publishes; after it, a redelivery of the event (Lambda's
// retry) or a reconcile pass finishes the publish: it puts the index under the target tags that do
// not hold it yet (and only those: `putsAfter`), records it, and every invariant holds. Over the
// whole story each target tag receives the index exactly once.

const registryUrl = inject('registryUrl');
const TARGET_TAGS = ['{version}', 'v{version}'];

const CRASH_POINTS: Array<CrashPoint & { holdsLease: boolean; putsAfter: number }> = [
  // The write that completes the version takes the lease too (docs/reliability.md), so a crash right after it leaves the lease held.
  {
    port: 'store',
    method: 'updateImages',
    when: 'after',
    description: 'after recording the images and taking the lease, before publishing',
    holdsLease: true,
    putsAfter: 2,
  },
  // The version tags here do not match the tag pattern, so nothing is remembered in the store before the put: the last step before it is the put itself.
  {
    port: 'registry',
    method: 'putManifest',
    when: 'before',
    nth: 1,
    description: 'holding the lease, before putting the index',
    holdsLease: true,
    putsAfter: 2,
  },
  {
    port: 'registry',
    method: 'putManifest',
    when: 'after',
    nth: 1,
    description: 'between putting the first target tag and the second',
    holdsLease: true,
    putsAfter: 1,
  },
  {
    port: 'registry',
    method: 'putManifest',
    when: 'after',
    nth: 2,
    description: 'after putting the index, before recording it',
    holdsLease: true,
    putsAfter: 0,
  },
  {
    port: 'store',
    method: 'completePublish',
    when: 'after',
    description: 'after recording the publish, before announcing it and releasing the lease',
    holdsLease: true,
    putsAfter: 0,
  },
  // No crash point between the publish and its history: the history goes in the write that records the publish (docs/reliability.md).
];
const RECOVERIES = ['redelivery', 'reconcile'] as const;
const CASES = CRASH_POINTS.flatMap((point) =>
  RECOVERIES.map((recovery) => ({ point, recovery, name: `${point.description}; recovered by ${recovery}` })),
).filter((c) => c.name.includes(process.env.FAULT_CASE ?? ''));

const suite = faultSuite({ suite: 'crash points', seeds: ['-'], tablePrefix: 'faults-crash' });
// Indexes are counted once across cases (repository and digest), not once per case.
const distinctIndexes = new Set<string>();

describe('the process killed between the steps of a publish', () => {
  it.each(CASES)('$name', async ({ point, recovery }) => {
    const store = suite.store();
    const clock = new ScaledClock();
    const deliveries: Delivery[] = [];
    const random = seededRandom(1);
    const repository = `faults/crash-${point.method.toLowerCase()}-${point.nth ?? 1}-${recovery}-${Math.floor(Math.random() * 1e6)}`;
    const config = normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'], targetTags: TARGET_TAGS });
    await store.putRepositoryConfig(repository, config);

    const events = new RecordingVersionEvents();
    const healthy = makeStack({ registryUrl, store, clock, events });
    const victim = new CrashingProcess(point);
    const doomed = makeStack({
      registryUrl,
      store,
      clock: victim.clock(clock),
      logger: healthy.logger,
      events,
      wrapRegistry: (registry) => victim.wrap('registry', registry),
      wrapStore: (inner) => victim.wrap('store', inner),
    });
    const event = (tag: string, digest: string, mediaType: string, id: string) => ({ repository, tag, digest, mediaType, id });

    const amd64 = await pushImage(registryUrl, repository, '1.0-amd64', { arch: 'amd64', format: 'oci' });
    expect(
      await deliverWithRetry(healthy, event('1.0-amd64', amd64.digest, amd64.mediaType, 'amd64'), deliveries, { random, maxAttempts: 1 }),
    ).toBe('recorded');
    const arm64 = await pushImage(registryUrl, repository, '1.0-arm64', { arch: 'arm64', format: 'oci' });
    const last = event('1.0-arm64', arm64.digest, arm64.mediaType, 'arm64');

    // The last push is handled by the process that dies.
    await expect(doomed.handle(ecrPushEvent(repository, arm64.digest, '1.0-arm64', arm64.mediaType, 'arm64-crash'))).rejects.toBeInstanceOf(
      Crash,
    );
    addCounts(suite.tally.faults, { 'process killed mid-publish': 1 });
    const putsBeforeRecovery = healthy.registry.puts.length + doomed.registry.puts.length;
    const left = await store.getVersion({ repository, version: '1.0' });
    expect(left?.lease !== undefined && left.lease.until > clock.now(), 'the dead process still holds the lease').toBe(point.holdsLease);
    expect(
      healthy.logger.lines.some((l) => l.level === 'error' && l.fields.eventId === 'arm64-crash'),
      'the failed invocation is logged',
    ).toBe(true);

    if (point.holdsLease) {
      // Before the lease expires, a reconcile pass leaves the version to its (dead) publisher.
      const early = reconcileFindings(await reconcileToEnd(healthy.deps, repository));
      expect(early.published, 'nobody publishes beside a live lease').toEqual([]);
      clock.advance(PublishTiming.leaseMs + 1_000);
    }

    if (recovery === 'redelivery') {
      expect(await deliverWithRetry(healthy, last, deliveries, { random, maxAttempts: 3 })).toBe('recorded');
    } else {
      const findings = reconcileFindings(await reconcileToEnd(healthy.deps, repository));
      expect(findings.failures).toEqual([]);
      // After a crash past recording the publish there is nothing left to publish.
      expect(findings.published).toEqual(point.method === 'completePublish' ? [] : ['1.0']);
    }

    const puts: IndexPut[] = [...healthy.registry.puts, ...doomed.registry.puts];
    expect(puts.length - putsBeforeRecovery, `index PUTs after recovering from a crash ${point.description}`).toBe(point.putsAfter);
    const state = await checkRegistryState({
      registryUrl,
      repository,
      config,
      store,
      seed: `crash ${point.description}`,
      nowMs: clock.now(),
      indexPuts: puts,
      maxPutsPerIndex: 1,
    });
    expect([...state.violations, ...checkDeliveries(deliveries, healthy.logger.lines, point.description)]).toEqual([]);
    expect(state.complete).toBe(1);
    expect(state.distinctIndexes, 'one index, whatever was put twice').toBe(1);

    // The publish is announced once, naming the index the tags hold, by the recovery or at the
    // latest by the next reconcile pass (a crash after recording the publish left it unannounced).
    await reconcileToEnd(healthy.deps, repository);
    const published = (await store.getVersion({ repository, version: '1.0' }))?.published;
    expect(events.events.map((e) => [e.outcome, e.data.digest, e.data.tags])).toEqual([['published', published?.digest, ['1.0', 'v1.0']]]);

    const before = distinctIndexes.size;
    for (const put of puts) distinctIndexes.add(`${repository} ${put.digest}`);
    suite.tally.versions++;
    suite.tally.eventsDelivered += deliveries.length + 1;
    suite.tally.addPuts({
      indexPuts: puts.length,
      distinctIndexes: distinctIndexes.size - before,
      maxPutsOfOneIndex: state.maxPutsOfOneIndex,
    });
  });
});
