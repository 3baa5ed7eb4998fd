import type { Descriptor } from '../../src/core/descriptor.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { Annotations, MediaTypes } from '../../src/core/media-types.ts';
import { formatPlatform, parsePlatform } from '../../src/core/platform.ts';
import type { Dependencies } from '../../src/core/ports.ts';
import { normaliseRepositoryConfig, type RepositoryConfigInput } from '../../src/core/repository-config.ts';
import type { RecordedImage, VersionRecord } from '../../src/core/version-record.ts';
import { CapturingLogger, idGenerator, ManualClock } from '../support/fakes.ts';
import { InMemoryImageRegistry } from '../support/in-memory-image-registry.ts';
import { InMemoryVersionStore } from '../support/in-memory-version-store.ts';
import { RecordingVersionEvents } from '../support/recording-events.ts';

/** A digest made from a word, so tests can name content without building it. */
export function digestOf(word: string): string {
  return computeDigest(new TextEncoder().encode(word));
}

/** A recorded image for pure tests: the digest and size come from `build`, everything else from the arguments. */
export function recordedImage(platform: string, overrides: Partial<RecordedImage> & { build?: string } = {}): RecordedImage {
  const parsed = parsePlatform(platform);
  const { build = 'b1', ...rest } = overrides;
  return {
    key: formatPlatform(parsed),
    platform: parsed,
    digest: digestOf(`${platform} ${build}`),
    mediaType: MediaTypes.ociManifest,
    size: 400 + build.length,
    tag: `2.7-${parsed.architecture}`,
    sourceDigest: digestOf(`${platform} ${build}`),
    pushedAt: '2026-11-27T10:00:00.000Z',
    attestations: [],
    ...rest,
  };
}

/** A BuildKit attestation descriptor describing `image`. */
export function attestationFor(image: Pick<RecordedImage, 'digest'>, word = 'provenance'): Descriptor {
  return {
    mediaType: MediaTypes.ociManifest,
    digest: digestOf(`${word} of ${image.digest}`),
    size: 839,
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: { [Annotations.referenceType]: Annotations.attestationManifest, [Annotations.referenceDigest]: image.digest },
  };
}

export function record(images: readonly RecordedImage[], overrides: Partial<VersionRecord> = {}): VersionRecord {
  return {
    repository: 'hello',
    version: '2.7',
    revision: 1,
    images: Object.fromEntries(images.map((image) => [image.key, image])),
    createdAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:00:00.000Z',
    ...overrides,
  };
}

export function config(input: Partial<RepositoryConfigInput> = {}) {
  return normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'], ...input });
}

export interface World {
  readonly registry: InMemoryImageRegistry;
  readonly store: InMemoryVersionStore;
  readonly clock: ManualClock;
  readonly logger: CapturingLogger;
  readonly events: RecordingVersionEvents;
  readonly deps: Dependencies;
}

/** Fresh fakes wired as the composition root would wire the real adapters. */
export function world(): World {
  const registry = new InMemoryImageRegistry();
  const store = new InMemoryVersionStore();
  const clock = new ManualClock();
  const logger = new CapturingLogger();
  const events = new RecordingVersionEvents();
  return { registry, store, clock, logger, events, deps: { registry, store, clock, logger, events, newId: idGenerator() } };
}
