import { normaliseRepositoryConfig, type RepositoryConfig } from '../../src/core/repository-config.ts';
import { type ImageFormat, pushBuildxStyleIndex, pushImage, type TestArch } from '../support/images.ts';
import type { Delivery } from '../support/invariants.ts';
import { type DeliveryOptions, deliverWithRetry, type Stack, sleep, TaskSet } from './harness.ts';

/**
 * A randomised push-and-deliver scenario, all of it drawn from one seed: which tags are pushed, as
 * plain images or buildx indexes, in which format, which are rebuilt, when each push happens, how
 * many copies of each event are delivered and how late. Pushes go over HTTP to the real registry;
 * events go to the real handler.
 */

export const PLATFORM_OF: Record<TestArch, string> = { amd64: 'linux/amd64', arm64: 'linux/arm64', arm: 'linux/arm/v7' };

export interface ScenarioOptions {
  readonly versions: number;
  /** The version names (the first `versions` of them); default `1.0`, `1.1`, … */
  readonly versionNames?: readonly string[];
  readonly arches: readonly TestArch[];
  /** Versions left with one platform never pushed. */
  readonly incompleteVersions: number;
  readonly rebuildChance: number;
  readonly duplicateChance: number;
  readonly buildxChance: number;
  /** Upper bound of each random pause: before a push, and before each event copy is delivered. */
  readonly maxDelayMs: number;
  readonly delivery?: Omit<DeliveryOptions, 'random'>;
}

export interface ScenarioResult {
  readonly versions: string[];
  readonly incomplete: string[];
  readonly pushes: number;
  readonly rebuilds: number;
  /** Event copies delivered (duplicates included, redeliveries of a failed attempt not). */
  readonly events: number;
  readonly duplicates: number;
  readonly deliveries: Delivery[];
  /** Events for the indexes manifest-assembler put itself (ECR sends those too). */
  readonly ownPutEvents: number;
  /** Final outcome per event copy. */
  readonly outcomes: Record<string, number>;
}

export function scenarioConfig(arches: readonly TestArch[]): RepositoryConfig {
  return normaliseRepositoryConfig({ requiredPlatforms: arches.map((a) => PLATFORM_OF[a]) });
}

/** Pushes and delivers everything, then waits until no delivery is running (bounded by `quiesceMs`). */
export async function runScenario(
  stack: Stack,
  options: { registryUrl: string; repository: string; seed: number; random: () => number; quiesceMs?: number } & ScenarioOptions,
): Promise<ScenarioResult> {
  const { registryUrl, repository, random, seed } = options;
  const tasks = new TaskSet();
  const deliveries: Delivery[] = [];
  const outcomes: Record<string, number> = {};
  const versions = Array.from({ length: options.versions }, (_, i) => options.versionNames?.[i] ?? `${1 + Math.floor(i / 10)}.${i % 10}`);
  const incomplete = versions.slice(0, options.incompleteVersions);
  let events = 0;
  let duplicates = 0;
  let rebuilds = 0;
  let pushes = 0;
  let ownPutEvents = 0;
  let nextId = 0;
  const deliveryOptions: DeliveryOptions = { random, ...options.delivery };

  const schedule = (tag: string | undefined, digest: string, mediaType: string): void => {
    const copies = random() < options.duplicateChance ? 2 : 1;
    duplicates += copies - 1;
    for (let copy = 0; copy < copies; copy++) {
      const delay = Math.floor(random() * options.maxDelayMs * 2);
      const id = `s${seed}-e${nextId++}`;
      events++;
      tasks.spawn(async () => {
        await sleep(delay);
        const kind = await deliverWithRetry(stack, { repository, digest, tag, mediaType, id }, deliveries, deliveryOptions);
        outcomes[kind] = (outcomes[kind] ?? 0) + 1;
      });
    }
  };
  stack.registry.onPut = (tag, manifest) => {
    ownPutEvents++;
    schedule(tag, manifest.digest, manifest.mediaType);
  };

  // Every random draw for the plan happens here, before anything runs, so the plan is the seed's alone.
  const plan = versions.flatMap((version) => {
    const format: ImageFormat = random() < 0.5 ? 'oci' : 'docker';
    const skipped = incomplete.includes(version) ? options.arches[Math.floor(random() * options.arches.length)] : undefined;
    return options.arches
      .filter((arch) => arch !== skipped)
      .map((arch) => ({
        version,
        arch,
        format,
        buildx: format === 'oci' && random() < options.buildxChance,
        builds: random() < options.rebuildChance ? 2 : 1,
        delays: [Math.floor(random() * options.maxDelayMs), Math.floor(random() * options.maxDelayMs)],
      }));
  });

  await Promise.all(
    plan.map(async (item) => {
      const tag = `${item.version}-${item.arch}`;
      for (let build = 0; build < item.builds; build++) {
        await sleep(item.delays[build] ?? 0);
        const label = `seed${seed}-${tag}-build${build}`;
        const pushed = item.buildx
          ? await pushBuildxStyleIndex(registryUrl, repository, tag, item.arch, { label })
          : await pushImage(registryUrl, repository, tag, { arch: item.arch, format: item.format, label });
        pushes++;
        if (build > 0) rebuilds++;
        schedule(tag, pushed.digest, pushed.mediaType);
      }
    }),
  );
  await tasks.drain(options.quiesceMs ?? 45_000);
  stack.registry.onPut = undefined;
  if (tasks.errors.length > 0) throw new Error(`[seed ${seed}] a delivery task failed: ${String(tasks.errors[0])}`);
  return { versions, incomplete, pushes, rebuilds, events, duplicates, deliveries, ownPutEvents, outcomes };
}
