import { beforeEach, describe, expect, it } from 'vitest';
import { LogOnlyVersionEvents } from '../../src/adapters/events/log-only-version-events.ts';
import type { Descriptor } from '../../src/core/descriptor.ts';
import { buildIndex } from '../../src/core/index-builder.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { platformToJson } from '../../src/core/platform.ts';
import type { VersionEvents } from '../../src/core/ports.ts';
import { readPushedImages } from '../../src/core/read-push.ts';
import { deriveState } from '../../src/core/readiness.ts';
import { type PushEvent, type PushOutcome, recordPush } from '../../src/core/record-push.ts';
import { MAX_REJECTED_TAGS } from '../../src/core/record-push-rare.ts';
import type { RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { config, type World, world } from './fixtures.ts';

const repo = 'team/hello';

describe('recordPush', () => {
  let w: World;
  beforeEach(async () => {
    w = world();
    await w.store.putRepositoryConfig(repo, config());
  });

  const event = (tag: string | undefined, digest: string): PushEvent => ({ repository: repo, tag, digest, eventId: `evt-${tag}` });
  /** A per-arch push: the image lands in the registry, then its event is handled. */
  const push = async (platform: string, tag: string, options: { label?: string; format?: 'oci' | 'docker'; buildx?: boolean } = {}) => {
    const digest = options.buildx
      ? w.registry.addBuildxIndex(repo, { platform, tag, label: options.label }).index.digest
      : w.registry.addImage(repo, { platform, tag, label: options.label, format: options.format }).manifest.digest;
    return { digest, outcome: await recordPush(w.deps, event(tag, digest)) };
  };
  const record = () => w.store.getVersion({ repository: repo, version: '2.7' });
  const state = async () => deriveState(await w.store.getRepositoryConfig(repo), (await record())!, w.clock.now());
  /** The index the version's per-arch tags call for now, built independently of the store. */
  const expectedIndex = async (tags: string[], choice: 'auto' | 'oci' | 'docker' = 'auto') => {
    const images = [];
    for (const tag of tags) {
      const digest = w.registry.manifestAt(repo, tag)!.digest;
      images.push(...(await readPushedImages(w.registry, { repository: repo, digest, tag, pushedAt: '' })).images);
    }
    return buildIndex(images, choice).manifest;
  };

  describe('ignores, logging why', () => {
    const cases: Array<{ name: string; arrange: (w: World) => Promise<PushEvent>; reason: RegExp }> = [
      {
        name: 'a push without tag',
        arrange: async (w) => event(undefined, w.registry.addImage(repo, { platform: 'linux/amd64' }).manifest.digest),
        reason: /no tag/,
      },
      {
        name: 'an empty tag',
        arrange: async (w) => event('', w.registry.addImage(repo, { platform: 'linux/amd64' }).manifest.digest),
        reason: /no tag/,
      },
      {
        name: 'a repository without config',
        arrange: async (w) => ({
          ...event('2.7-amd64', w.registry.addImage('other', { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest),
          repository: 'other',
        }),
        reason: /repository other has no configuration/,
      },
      {
        name: 'a tag not matching the pattern',
        arrange: async (w) => event('latest', w.registry.addImage(repo, { platform: 'linux/amd64', tag: 'latest' }).manifest.digest),
        reason: /tag latest does not match tagPattern/,
      },
      {
        name: 'a stale event (the tag moved on)',
        arrange: async (w) => {
          const old = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64', label: 'old' });
          w.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64', label: 'new' });
          return event('2.7-amd64', old.manifest.digest);
        },
        reason: /stale: 2.7-amd64 now points to sha256:[0-9a-f]+, not sha256:/,
      },
      {
        name: 'a tag deleted since',
        arrange: async (w) => {
          const image = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' });
          w.registry.untag(repo, '2.7-amd64');
          return event('2.7-amd64', image.manifest.digest);
        },
        reason: /tag 2.7-amd64 no longer exists/,
      },
      {
        name: 'an index holding only an attestation',
        arrange: async (w) => {
          const att = w.registry.addImage(repo, {
            platform: 'linux/amd64',
            config: { architecture: 'unknown', os: 'unknown' },
            tag: '2.7-amd64',
          });
          return event('2.7-amd64', att.manifest.digest);
        },
        reason: /holds no image with a real platform/,
      },
    ];
    for (const { name, arrange, reason } of cases) {
      it(name, async () => {
        const outcome = await recordPush(w.deps, await arrange(w));
        expect(outcome).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
        expect(await record()).toBeUndefined();
        expect(w.registry.calls.putManifest).toBe(0);
        expect(w.logger.lines.filter((l) => l.message.startsWith('push ignored: '))).toHaveLength(1);
      });
    }

    it('its own published index, even though 2.7-rc1 matches the default pattern', async () => {
      await push('linux/amd64', '2.7-rc1-amd64');
      const { outcome } = await push('linux/arm64', '2.7-rc1-arm64');
      expect(outcome).toMatchObject({ kind: 'recorded', version: '2.7-rc1', publish: { kind: 'published', tags: ['2.7-rc1'] } });
      const published = w.registry.manifestAt(repo, '2.7-rc1')!;
      const again = await recordPush(w.deps, event('2.7-rc1', published.digest));
      expect(again).toEqual({ kind: 'ignored', reason: `${repo}:2.7-rc1 is an index manifest-assembler published itself` });
      expect(await w.store.getVersion({ repository: repo, version: '2.7' })).toBeUndefined();
    });
  });

  describe('rejects bad content, recording no image but the refusal', () => {
    const cases: Array<{ name: string; arrange: (w: World) => string; reason: RegExp }> = [
      {
        name: 'a schema 1 manifest',
        arrange: (w) =>
          w.registry.storeManifest(
            repo,
            { schemaVersion: 1, name: repo, tag: '2.7-amd64', fsLayers: [] },
            MediaTypes.dockerSchema1Signed,
            '2.7-amd64',
          ).digest,
        reason: /Docker schema 1/,
      },
      {
        name: 'a config without os and architecture',
        arrange: (w) =>
          w.registry.addImage(repo, { platform: 'linux/amd64', config: { created: '2000-01-01T00:00:00Z' }, tag: '2.7-amd64' }).manifest
            .digest,
        reason: /has no architecture or os/,
      },
      {
        name: 'an index whose child size is wrong',
        arrange: (w) => {
          const image = w.registry.addImage(repo, { platform: 'linux/amd64' });
          const child = {
            mediaType: image.manifest.mediaType,
            digest: image.manifest.digest,
            size: image.manifest.size + 1,
            platform: platformToJson(image.platform),
          };
          return w.registry.storeManifest(
            repo,
            { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [child] },
            MediaTypes.ociIndex,
            '2.7-amd64',
          ).digest;
        },
        reason: /but the registry holds/,
      },
      {
        name: 'an index with two images of one platform',
        arrange: (w) => {
          const children = ['a', 'b'].map((label) => {
            const image = w.registry.addImage(repo, { platform: 'linux/amd64', label });
            return {
              mediaType: image.manifest.mediaType,
              digest: image.manifest.digest,
              size: image.manifest.size,
              platform: platformToJson(image.platform),
            };
          });
          return w.registry.storeManifest(
            repo,
            { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: children },
            MediaTypes.ociIndex,
            '2.7-amd64',
          ).digest;
        },
        reason: /two images of platform linux\/amd64/,
      },
    ];
    for (const { name, arrange, reason } of cases) {
      it(name, async () => {
        const digest = arrange(w);
        const outcome = await recordPush(w.deps, event('2.7-amd64', digest));
        expect(outcome).toEqual({ kind: 'rejected', reason: expect.stringMatching(reason) });
        expect((outcome as { reason: string }).reason).toContain(`${repo}:2.7-amd64 (${digest})`);
        const stored = await record();
        expect(stored).toMatchObject({ revision: 0, images: {} });
        expect(stored?.rejected).toEqual({
          '2.7-amd64': { tag: '2.7-amd64', digest, reason: expect.stringMatching(reason), at: expect.any(String) },
        });
        expect(await state()).toBe('failed');
        expect(w.logger.lines.filter((l) => l.level === 'warn' && l.message.startsWith('push rejected: '))).toHaveLength(1);
      });
    }
  });

  for (const order of [
    ['linux/amd64', 'linux/arm64'],
    ['linux/arm64', 'linux/amd64'],
  ] as const) {
    it(`records and publishes once complete (${order.join(' then ')})`, async () => {
      const first = await push(order[0], `2.7-${order[0].split('/')[1]}`);
      expect(first.outcome).toMatchObject({ kind: 'recorded', version: '2.7', revision: 1, changed: true, publish: { kind: 'waiting' } });
      expect(await state()).toBe('waiting');
      const second = await push(order[1], `2.7-${order[1].split('/')[1]}`);
      const expected = await expectedIndex(['2.7-amd64', '2.7-arm64']);
      expect(second.outcome).toEqual({
        kind: 'recorded',
        version: '2.7',
        revision: 2,
        changed: true,
        platforms: [order[1]],
        publish: { kind: 'published', digest: expected.digest, revision: 2, tags: ['2.7'] },
      });
      expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
      expect(w.registry.manifestAt(repo, '2.7')?.digest).toBe(expected.digest);
      expect(w.registry.storedPuts(expected.digest)).toBe(1);
      expect(await state()).toBe('published');
    });
  }

  it('gives the same index digest whatever order the platforms arrive in', async () => {
    const digests: string[] = [];
    for (const order of [
      ['amd64', 'arm64'],
      ['arm64', 'amd64'],
    ]) {
      w = world();
      await w.store.putRepositoryConfig(repo, config());
      for (const arch of order) await push(`linux/${arch}`, `2.7-${arch}`);
      digests.push(w.registry.manifestAt(repo, '2.7')!.digest);
    }
    expect(digests[0]).toBe(digests[1]);
  });

  it('changes nothing and puts nothing for a duplicate event', async () => {
    await push('linux/amd64', '2.7-amd64');
    const { digest } = await push('linux/arm64', '2.7-arm64');
    const before = await record();
    const puts = w.registry.calls.putManifest;
    const again = await recordPush(w.deps, event('2.7-arm64', digest));
    expect(again).toMatchObject({
      kind: 'recorded',
      changed: false,
      revision: 2,
      publish: { kind: 'up-to-date', digest: before?.published?.digest },
    });
    expect(w.registry.calls.putManifest).toBe(puts);
    expect(await record()).toEqual(before);
  });

  it('republishes a rebuild with the new digest', async () => {
    await push('linux/amd64', '2.7-amd64');
    await push('linux/arm64', '2.7-arm64');
    const before = w.registry.manifestAt(repo, '2.7')!.digest;
    const rebuild = await push('linux/arm64', '2.7-arm64', { label: 'rebuild' });
    const expected = await expectedIndex(['2.7-amd64', '2.7-arm64']);
    expect(expected.digest).not.toBe(before);
    expect(rebuild.outcome).toMatchObject({
      kind: 'recorded',
      revision: 3,
      changed: true,
      publish: { kind: 'published', digest: expected.digest, revision: 3 },
    });
    const body = expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
    expect(body.manifests.map((c) => c.digest)).toContain(rebuild.digest);
    expect((await record())?.images['linux/arm64']?.digest).toBe(rebuild.digest);
  });

  it('counts a buildx index as its platform and carries its attestation next to it', async () => {
    const arm = await push('linux/arm64', '2.7-arm64', { buildx: true });
    expect(arm.outcome).toMatchObject({ kind: 'recorded', platforms: ['linux/arm64'] });
    await push('linux/amd64', '2.7-amd64', { format: 'docker' });
    const body = expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
    expect(body.mediaType).toBe(MediaTypes.ociIndex);
    const image = (await record())!.images['linux/arm64']!;
    expect(image.sourceDigest).toBe(arm.digest);
    const position = body.manifests.findIndex((c) => c.digest === image.digest);
    expect(body.manifests[position + 1]).toMatchObject({
      digest: image.attestations[0]!.digest,
      platform: { os: 'unknown', architecture: 'unknown' },
    });
    expect(body.manifests).toHaveLength(3);
    expect(w.registry.manifestAt(repo, '2.7')!.digest).toBe((await expectedIndex(['2.7-amd64', '2.7-arm64'])).digest);
  });

  it('reports two tags claiming one platform as a conflict naming both', async () => {
    await push('linux/amd64', '2.7-amd64');
    const first = await push('linux/arm64', '2.7-arm64');
    const second = await push('linux/arm64/v8', '2.7-aarch64', { label: 'other' });
    expect(second.outcome).toEqual({
      kind: 'conflict',
      version: '2.7',
      message: expect.stringContaining(`2.7-arm64 (${first.digest}) and 2.7-aarch64 (${second.digest}) both claim platform linux/arm64`),
    });
    expect(await state()).toBe('conflict');
    expect((await record())?.images['linux/arm64']?.digest).toBe(first.digest);
    expect(w.logger.messages('warn').some((m) => m.startsWith('push conflicts: '))).toBe(true);
  });

  it('lets a tag take a platform whose previous tag moved away', async () => {
    await push('linux/amd64', '2.7-amd64');
    await push('linux/arm64', '2.7-arm64');
    w.registry.untag(repo, '2.7-arm64');
    const taker = await push('linux/arm64', '2.7-aarch64', { label: 'other' });
    expect(taker.outcome).toMatchObject({ kind: 'recorded', changed: true, publish: { kind: 'published' } });
    expect((await record())?.images['linux/arm64']).toMatchObject({ digest: taker.digest, tag: '2.7-aarch64' });
  });

  it.each([
    // Events only logged: the publish, its announcement and the lease's release are one write.
    { events: 'log only', apart: [] },
    // Events delivered: the publish write claims the announcement; it is sent while the lease is held
    // (before any later index can be put), then marked sent and the lease released in one write.
    { events: 'delivered', apart: [] },
  ])(
    'takes no lease on a version that cannot publish yet, and takes it with the images that complete it ($events)',
    async ({ events, apart }) => {
      if (events === 'log only') (w.deps as { events: VersionEvents }).events = new LogOnlyVersionEvents(w.logger);
      const calls: string[] = [];
      for (const method of ['acquireLease', 'releaseLease', 'recordPublished', 'getVersion'] as const) {
        const original = (w.store[method] as (...args: unknown[]) => Promise<unknown>).bind(w.store);
        (w.store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          calls.push(method);
          return original(...args);
        };
      }
      const first = await push('linux/amd64', '2.7-amd64');
      expect(first.outcome).toMatchObject({ publish: { kind: 'waiting' } });
      expect((await record())?.lease).toBeUndefined();
      calls.length = 0;
      expect((await push('linux/arm64', '2.7-arm64')).outcome).toMatchObject({ publish: { kind: 'published' } });
      expect(calls, 'no read before a write, no lease taken on its own, no publish recorded apart').toEqual(apart);
      expect((await record())?.lease).toBeUndefined();
    },
  );

  it('looks at the tag once when nothing races the push', async () => {
    await push('linux/amd64', '2.7-amd64');
    const arm64 = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64' });
    const before = w.registry.calls.resolveTag ?? 0;
    expect(await recordPush(w.deps, event('2.7-arm64', arm64.manifest.digest))).toMatchObject({
      kind: 'recorded',
      publish: { kind: 'published' },
    });
    expect((w.registry.calls.resolveTag ?? 0) - before, 'one look at 2.7-arm64, none at the version tag').toBe(1);
  });

  it('reads the pushed images by digest before its one look at the tag (the moment distribution takes to move it)', async () => {
    await push('linux/amd64', '2.7-amd64');
    const arm64 = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64' });
    const calls: string[] = [];
    w.registry.beforeCall = (method, args) => {
      if (method !== 'putManifest') calls.push(`${method} ${String(args[1]).slice(0, 14)}`);
    };
    expect(await recordPush(w.deps, event('2.7-arm64', arm64.manifest.digest))).toMatchObject({ publish: { kind: 'published' } });
    w.registry.beforeCall = undefined;
    expect(calls).toEqual([
      `fetchManifest ${arm64.manifest.digest.slice(0, 14)}`,
      expect.stringMatching(/^fetchBlob /),
      'resolveTag 2.7-arm64',
    ]);
  });

  it('never writes a stale image over a newer push recorded between its read and its write: it looks at the tag again', async () => {
    await push('linux/amd64', '2.7-amd64');
    const old = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64', label: 'old' });
    let newer: string | undefined;
    const update = w.store.updateImages.bind(w.store);
    const revisions: number[] = [];
    w.store.updateImages = async (...args) => {
      if (newer === undefined) {
        // The old push's event has read the record, its images and looked at the tag; now the tag is
        // pushed again and the newer push's event is handled to the end before the old one writes.
        newer = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64', label: 'new' }).manifest.digest;
        expect(await recordPush(w.deps, event('2.7-arm64', newer))).toMatchObject({
          kind: 'recorded',
          changed: true,
          publish: { kind: 'published' },
        });
      }
      const written = await update(...args);
      if (written !== undefined) revisions.push(written.revision);
      return written;
    };
    const outcome = await recordPush(w.deps, event('2.7-arm64', old.manifest.digest));
    expect(newer).toBeDefined();
    expect(outcome).toMatchObject({ kind: 'recorded', changed: false, publish: { kind: 'up-to-date' } });
    expect(revisions, 'only the newer push wrote: the stale write found the revision moved').toEqual([2]);
    expect((await record())?.images['linux/arm64']?.digest).toBe(newer);
    expect(w.registry.manifestAt(repo, '2.7')?.digest).toBe((await expectedIndex(['2.7-amd64', '2.7-arm64'])).digest);
    expect(w.logger.messages('info')).toContain('tag moved while recording; recording its new image');
  });

  describe('reading the pushed images beside the record', () => {
    // Where the manifest is asked for relative to the record's read: an image manifest beside it
    // (nothing this service puts is one), an index only after it (it may be our own put).
    const cases: Array<{ name: string; mediaType: string | undefined; buildx: boolean; readsBeside: boolean }> = [
      { name: 'an image manifest', mediaType: MediaTypes.ociManifest, buildx: false, readsBeside: true },
      { name: 'a Docker image manifest', mediaType: MediaTypes.dockerManifest, buildx: false, readsBeside: true },
      { name: 'an index (buildx)', mediaType: MediaTypes.ociIndex, buildx: true, readsBeside: false },
      { name: 'an event without a media type', mediaType: undefined, buildx: false, readsBeside: false },
    ];
    for (const { name, mediaType, buildx, readsBeside } of cases) {
      it(`${readsBeside ? 'reads' : 'does not read'} ${name} while the record is read, and records it`, async () => {
        w.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' });
        await recordPush(w.deps, event('2.7-amd64', w.registry.manifestAt(repo, '2.7-amd64')!.digest));
        const digest = buildx
          ? w.registry.addBuildxIndex(repo, { platform: 'linux/arm64', tag: '2.7-arm64' }).index.digest
          : w.registry.addImage(repo, {
              platform: 'linux/arm64',
              tag: '2.7-arm64',
              format: mediaType === MediaTypes.dockerManifest ? 'docker' : 'oci',
            }).manifest.digest;
        const readForPush = w.store.readForPush.bind(w.store);
        const before = w.registry.calls.fetchManifest;
        let askedDuringRead: number | undefined;
        w.store.readForPush = async (...args) => {
          const context = await readForPush(...args);
          askedDuringRead = w.registry.calls.fetchManifest - before;
          return context;
        };
        const outcome = await recordPush(w.deps, { ...event('2.7-arm64', digest), mediaType });
        expect(askedDuringRead).toBe(readsBeside ? 1 : 0);
        expect(outcome).toMatchObject({ kind: 'recorded', publish: { kind: 'published' } });
        expect(w.registry.manifestAt(repo, '2.7')?.digest).toBe((await expectedIndex(['2.7-amd64', '2.7-arm64'])).digest);
      });
    }
  });

  it('looks at the tag while the config blob is still being read, once the pushed manifest is', async () => {
    const digest = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
    const fetchBlob = w.registry.fetchBlob.bind(w.registry);
    const resolveTag = w.registry.resolveTag.bind(w.registry);
    let lookedAt: () => void = () => {};
    const look = new Promise<'looked'>((resolve) => {
      lookedAt = () => resolve('looked');
    });
    let configInFlight = false;
    let lookedWhileConfigInFlight = false;
    w.registry.resolveTag = async (...args) => {
      if (configInFlight) lookedWhileConfigInFlight = true;
      lookedAt();
      return resolveTag(...args);
    };
    w.registry.fetchBlob = async (...args) => {
      configInFlight = true;
      // The config's answer waits for the look (or, where the look waits for the config, gives up waiting).
      await Promise.race([look, new Promise((resolve) => setTimeout(resolve, 200))]);
      configInFlight = false;
      return fetchBlob(...args);
    };
    const outcome = await recordPush(w.deps, { ...event('2.7-amd64', digest), mediaType: MediaTypes.ociManifest });
    expect(outcome).toMatchObject({ kind: 'recorded', platforms: ['linux/amd64'] });
    expect(lookedWhileConfigInFlight).toBe(true);
    expect(w.registry.calls.resolveTag, 'one look').toBe(1);
  });

  describe("with the config the event names (the local stack passes on the notification's reference)", () => {
    /** Pushes an amd64 image with `hint` for its config; how many blob reads began before its manifest was read. */
    async function pushWithHint(hint: (image: ReturnType<typeof w.registry.addImage>) => Descriptor) {
      const image = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' });
      const fetchManifest = w.registry.fetchManifest.bind(w.registry);
      let blobsBeforeManifestRead: number | undefined;
      w.registry.fetchManifest = async (...args) => {
        const manifest = await fetchManifest(...args);
        blobsBeforeManifestRead ??= w.registry.calls.fetchBlob;
        return manifest;
      };
      const outcome = await recordPush(w.deps, {
        ...event('2.7-amd64', image.manifest.digest),
        mediaType: MediaTypes.ociManifest,
        configHint: hint(image),
      });
      return { outcome, blobsBeforeManifestRead, blobReads: w.registry.calls.fetchBlob };
    }

    it('reads the config beside the manifest, once', async () => {
      const result = await pushWithHint((image) => image.config);
      expect(result).toMatchObject({ outcome: { kind: 'recorded', platforms: ['linux/amd64'] }, blobsBeforeManifestRead: 1, blobReads: 1 });
    });

    it("reads the manifest's own config when the hint names another, and records the right platform", async () => {
      const other = w.registry.addImage(repo, { platform: 'linux/arm64', label: 'other' }).config;
      const result = await pushWithHint(() => other);
      expect(result).toMatchObject({ outcome: { kind: 'recorded', platforms: ['linux/amd64'] }, blobReads: 2 });
    });

    it('records the push when the hint names a config the registry does not have', async () => {
      const result = await pushWithHint((image) => ({ ...image.config, digest: `sha256:${'e'.repeat(64)}` }));
      expect(result).toMatchObject({ outcome: { kind: 'recorded', platforms: ['linux/amd64'] }, blobReads: 2 });
    });
  });

  describe('with platformOverrides', () => {
    const overrides: Partial<RepositoryConfigInput> = {
      requiredPlatforms: ['linux/amd64', 'linux/arm/v7'],
      platformOverrides: { armv7: 'linux/arm/v7' },
    };
    beforeEach(async () => {
      await w.store.putRepositoryConfig(repo, config(overrides));
    });

    it('takes the platform from the override, not the mislabelled config', async () => {
      const { outcome } = await push('linux/amd64', '2.7-armv7');
      expect(outcome).toMatchObject({ kind: 'recorded', platforms: ['linux/arm/v7'] });
    });

    for (const hint of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      it(`reads the config for a tag whose platform part is "${hint}" (not an override)`, async () => {
        const { outcome } = await push('linux/amd64', `2.7-${hint}`);
        expect(outcome).toMatchObject({ kind: 'recorded', platforms: ['linux/amd64'] });
      });
    }
  });

  it('throws what is worth retrying (registry unavailable) instead of returning it', async () => {
    const { RegistryError, ErrorCodes } = await import('../../src/core/errors.ts');
    const image = w.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' });
    w.registry.failNext('fetchBlob', 1, new RegistryError(ErrorCodes.unavailable, 'S3 503', { retryable: true }));
    await expect(recordPush(w.deps, event('2.7-amd64', image.manifest.digest))).rejects.toMatchObject({
      retryable: true,
      message: 'S3 503',
    });
    expect(await record()).toBeUndefined();
    const outcome: PushOutcome = await recordPush(w.deps, event('2.7-amd64', image.manifest.digest));
    expect(outcome.kind).toBe('recorded');
  });

  describe('refused pushes on the version record', () => {
    const refuse = (tag: string, label = tag) =>
      w.registry.addImage(repo, { platform: 'linux/amd64', label, config: { created: '2000-01-01T00:00:00Z' }, tag }).manifest.digest;

    it('records the refusal once: a duplicate event writes nothing', async () => {
      const digest = refuse('2.7-arm64');
      await recordPush(w.deps, event('2.7-arm64', digest));
      const first = await record();
      w.clock.advance(1000);
      expect(await recordPush(w.deps, event('2.7-arm64', digest))).toMatchObject({ kind: 'rejected' });
      expect(await record()).toEqual(first);
    });

    it('keeps the images recorded so far and their revision', async () => {
      await push('linux/amd64', '2.7-amd64');
      const digest = refuse('2.7-arm64');
      await recordPush(w.deps, event('2.7-arm64', digest));
      const stored = await record();
      expect(stored?.revision).toBe(1);
      expect(Object.keys(stored?.images ?? {})).toEqual(['linux/amd64']);
      expect(Object.keys(stored?.rejected ?? {})).toEqual(['2.7-arm64']);
      expect(await state()).toBe('failed');
    });

    it('clears the refusal of a tag when a later push of that tag is accepted, in the same write', async () => {
      await recordPush(w.deps, event('2.7-arm64', refuse('2.7-arm64')));
      const { outcome } = await push('linux/arm64', '2.7-arm64');
      expect(outcome).toMatchObject({ kind: 'recorded', revision: 1 });
      expect((await record())?.rejected).toEqual({});
      expect(await state()).toBe('waiting');
    });

    it('clears it too when the tag goes back to the image already recorded (nothing else changes)', async () => {
      const good = await push('linux/arm64', '2.7-arm64');
      await recordPush(w.deps, event('2.7-arm64', refuse('2.7-arm64', 'broken rebuild')));
      expect(Object.keys((await record())?.rejected ?? {})).toEqual(['2.7-arm64']);
      w.registry.tag(repo, '2.7-arm64', good.digest);
      expect(await recordPush(w.deps, event('2.7-arm64', good.digest))).toMatchObject({ kind: 'recorded', changed: false });
      expect((await record())?.rejected).toEqual({});
      expect((await record())?.revision).toBe(1);
    });

    it('keeps no refusal for an image whose tag was rebuilt while it was being read', async () => {
      const bad = refuse('2.7-arm64');
      let good: string | undefined;
      w.registry.beforeCall = (method) => {
        // The rebuild lands while the refused image's config is being fetched: the look at the tag after the read sees it.
        if (method === 'fetchBlob' && good === undefined)
          good = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64', label: 'fixed' }).manifest.digest;
      };
      expect(await recordPush(w.deps, event('2.7-arm64', bad))).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/^stale/) });
      expect(await record()).toBeUndefined();
    });

    it('keeps no refusal for an image whose tag was rebuilt after the look at it', async () => {
      const bad = refuse('2.7-arm64');
      let looks = 0;
      w.registry.beforeCall = (method) => {
        // The rebuild lands between the push's look at the tag and the refusal's own look.
        if (method === 'resolveTag' && ++looks === 2)
          w.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64', label: 'fixed' });
      };
      expect(await recordPush(w.deps, event('2.7-arm64', bad))).toMatchObject({ kind: 'rejected' });
      expect(looks).toBe(2);
      expect(await record()).toBeUndefined();
    });

    it(`keeps the refusals of the ${MAX_REJECTED_TAGS} latest tags, dropping the oldest`, async () => {
      for (let i = 0; i < MAX_REJECTED_TAGS + 3; i++) {
        await recordPush(w.deps, event(`2.7-x${i}`, refuse(`2.7-x${i}`)));
        w.clock.advance(1000);
      }
      const tags = Object.keys((await record())?.rejected ?? {}).sort();
      expect(tags).toHaveLength(MAX_REJECTED_TAGS);
      expect(tags).not.toContain('2.7-x0');
      expect(tags).toContain(`2.7-x${MAX_REJECTED_TAGS + 2}`);
    });
  });
});
