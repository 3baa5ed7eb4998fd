import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildIndex } from '../../src/core/index-builder.ts';
import { readPushedImages } from '../../src/core/read-push.ts';
import { selectIndexImages } from '../../src/core/readiness.ts';
import type { PushOutcome } from '../../src/core/record-push.ts';
import { compareSemver, isRelease, parseSemver } from '../../src/core/semver.ts';
import { floatingTargetTags } from '../../src/core/target-tags.ts';
import type { RecordedImage } from '../../src/core/version-record.ts';
import { ManualClock, randomLatency, seededRandom, seedsFrom } from '../support/fakes.ts';
import { InMemoryImageRegistry } from '../support/in-memory-image-registry.ts';
import { InMemoryVersionStore } from '../support/in-memory-version-store.ts';
import { RecordingVersionEvents } from '../support/recording-events.ts';
import { config } from './fixtures.ts';
import { racingDependencies, retryingDelivery } from './racing-world.ts';

// Racing publishes of several releases must never leave a floating tag on a lower one. Releases of
// the same lines (1.0.x, 1.1.x, 2.x), a pre-release and a version that is not semver are pushed at
// once, some rebuilt, every event delivered once or twice, late, in any order, and the index puts
// of manifest-assembler itself raise push events too (as on ECR). Each call of each port takes
// random virtual time, so publishers of different versions interleave call by call.

const repo = 'team/app';
const ARCHES = { amd64: 'linux/amd64', arm64: 'linux/arm64' } as const;
const VERSIONS = ['1.0.0', '1.0.1', '1.1.0', 'v1.1.1', '1.2.0', '2.0.0', '2.0.1-rc.1', '2.1', '0.9.0'];
const TARGETS = ['{version}', '{major}', '{major}.{minor}', 'latest'];
const MAX_DELIVERIES = 30;

// CONCURRENCY_SEED=7 replays a seed; CONCURRENCY_SEED=1..200 sweeps a range.
const SEEDS = seedsFrom(process.env.CONCURRENCY_SEED) ?? [1, 2, 3, 5, 8, 13, 21, 34, 20261201, Date.now() % 2 ** 31];

async function simulate(seed: number) {
  const random = seededRandom(seed);
  vi.spyOn(Math, 'random').mockImplementation(random);
  const registry = new InMemoryImageRegistry();
  const store = new InMemoryVersionStore();
  const clock = new ManualClock();
  const latency = randomLatency(random, { fastMs: 40, slowMs: 400, slowChance: 0.1 });
  const tasks: Promise<void>[] = [];
  const outcomes: PushOutcome[] = [];
  const deps = racingDependencies({ registry, store, clock, random, latency, events: new RecordingVersionEvents(), seed });
  await store.putRepositoryConfig(repo, config({ requiredPlatforms: Object.values(ARCHES), targetTags: TARGETS }));

  const deliver = retryingDelivery(deps, repo, { random, maxDeliveries: MAX_DELIVERIES, outcomes });
  const schedule = (tag: string, digest: string) => {
    const copies = random() < 0.3 ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const delay = Math.floor(random() * 400);
      tasks.push(clock.sleep(delay).then(() => deliver(tag, digest)));
    }
  };
  // Our own index puts raise push events too; they must be recognised and ignored.
  registry.beforeCall = (method, args) => {
    if (method !== 'putManifest') return;
    const [, tag, manifest] = args as [string, string, { digest: string }];
    schedule(tag, manifest.digest);
  };

  for (const version of VERSIONS) {
    for (const [arch, platform] of Object.entries(ARCHES)) {
      const tag = `${version}-${arch}`;
      const builds = random() < 0.35 ? 2 : 1;
      for (let build = 1; build <= builds; build++) {
        const startAt = Math.floor(random() * 600) + (build - 1) * Math.floor(random() * 300);
        tasks.push(
          (async () => {
            await clock.sleep(startAt);
            schedule(tag, registry.addImage(repo, { platform, tag, label: `${tag} build${build}` }).manifest.digest);
          })(),
        );
      }
    }
  }
  // Deliveries add tasks while they run: wait until no task is left.
  for (let settled = 0; settled < tasks.length; ) {
    const batch = tasks.slice(settled);
    settled = tasks.length;
    await Promise.all(batch);
  }
  return { registry, store, outcomes };
}

/** The index a version's per-arch tags make now, read from the registry. */
async function expectedIndex(registry: InMemoryImageRegistry, version: string): Promise<string> {
  const images: RecordedImage[] = [];
  for (const arch of Object.keys(ARCHES)) {
    const tag = `${version}-${arch}`;
    const digest = (await registry.resolveTag(repo, tag))!;
    images.push(...(await readPushedImages(registry, { repository: repo, digest, tag, pushedAt: '' })).images);
  }
  const cfg = config({ requiredPlatforms: Object.values(ARCHES), targetTags: TARGETS });
  return buildIndex(selectIndexImages(cfg, { images: Object.fromEntries(images.map((i) => [i.key, i])) }), cfg.indexMediaType).manifest
    .digest;
}

/** Each floating tag and the highest release that renders it (ties broken by version text, as the rank does). */
function expectedFloating(): Map<string, string> {
  const cfg = config({ targetTags: TARGETS });
  const releases = VERSIONS.filter((v) => parseSemver(v) !== undefined && isRelease(parseSemver(v)!)).sort(
    (a, b) => compareSemver(parseSemver(a)!, parseSemver(b)!) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const highest = new Map<string, string>();
  for (const version of releases) for (const tag of floatingTargetTags(cfg, version)) highest.set(tag, version);
  return highest;
}

describe('floating tags under racing publishes', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  for (const seed of SEEDS) {
    it(`ends with every floating tag on the highest release, with few puts (seed ${seed}; replay with CONCURRENCY_SEED=${seed})`, async () => {
      const run = await simulate(seed);
      vi.restoreAllMocks();
      const why = `seed ${seed} (replay with CONCURRENCY_SEED=${seed})`;
      expect(
        run.outcomes.filter((o) => o.kind === 'rejected' || o.kind === 'conflict'),
        why,
      ).toEqual([]);

      const highest = expectedFloating();
      expect([...highest.keys()].sort(), why).toEqual(['0', '0.9', '1', '1.0', '1.1', '1.2', '2', '2.0', 'latest']);
      for (const [tag, version] of highest) {
        const want = await expectedIndex(run.registry, version);
        expect(run.registry.manifestAt(repo, version)?.digest, `${why}: ${version} is published`).toBe(want);
        expect(run.registry.manifestAt(repo, tag)?.digest, `${why}: ${tag} holds ${version}'s index`).toBe(want);
        expect(await run.store.getFloatingTag(repo, tag), `${why}: the ${tag} pointer names ${version}`).toMatchObject({
          version,
          digest: want,
        });
      }
      // The pre-release and the version that is not semver moved nothing and were still published.
      for (const version of ['2.0.1-rc.1', '2.1'])
        expect(run.registry.manifestAt(repo, version)?.digest, why).toBe(await expectedIndex(run.registry, version));
      expect((await run.store.listFloatingTags(repo)).map((p) => p.tag).sort(), why).toEqual([...highest.keys()].sort());

      // Puts stay bounded, never one per event: a few of one index under an exact tag; under a floating
      // tag, its publisher's put plus at most one correcting put by each lower release that raced it.
      const cfg = config({ targetTags: TARGETS });
      const releasesOf = new Map<string, number>();
      for (const version of VERSIONS)
        for (const tag of floatingTargetTags(cfg, version)) releasesOf.set(tag, (releasesOf.get(tag) ?? 0) + 1);
      const puts = new Map<string, { tag: string; n: number }>();
      for (const put of run.registry.puts) {
        if (put.result !== 'stored') continue;
        const key = `${put.tag} ${put.digest}`;
        puts.set(key, { tag: put.tag, n: (puts.get(key)?.n ?? 0) + 1 });
      }
      const tooMany = [...puts]
        .filter(([, { tag, n }]) => n > (releasesOf.has(tag) ? releasesOf.get(tag)! + 1 : 3))
        .map(([key, { n }]) => `${key} ×${n}`);
      expect(tooMany, `${why}: indexes put too often under one tag`).toEqual([]);
      const floatingPuts = run.registry.puts.filter((p) => highest.has(p.tag)).length;
      const recorded = run.outcomes.filter((o) => o.kind === 'recorded').length;
      expect(floatingPuts, `${why}: floating puts (${floatingPuts}) under recorded events (${recorded})`).toBeLessThan(recorded * 2);
    });
  }
});
