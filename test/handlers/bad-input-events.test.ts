import { describe, expect, it } from 'vitest';
import type { Descriptor, RawManifest } from '../../src/core/descriptor.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { normaliseRepositoryConfig, type RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { createApiHandler } from '../../src/handlers/api.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { InMemoryImageRegistry } from '../support/in-memory-image-registry.ts';
import { apiEvent, ecrPushEvent, type Harness, lambdaContext, makeHarness } from './handler-harness.ts';

const repo = 'hello';
const DIGEST = `sha256:${'a'.repeat(64)}`;

async function harness(input: Partial<RepositoryConfigInput> = {}): Promise<Harness> {
  const h = makeHarness();
  await h.store.putRepositoryConfig(repo, normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'], ...input }));
  return h;
}

function onImagePush(h: Harness) {
  return createOnImagePushHandler(h.deps, { timeoutEarlyInMillis: 0 });
}

/** An event with one field of `detail` replaced (undefined: removed). */
function withDetail(field: string, value: unknown) {
  const event = ecrPushEvent(repo, DIGEST, '2.7-amd64');
  const detail: Record<string, unknown> = { ...event.detail };
  if (value === undefined) delete detail[field];
  else detail[field] = value;
  return { ...event, detail };
}

describe('bad events through the on-image-push handler', () => {
  describe.each([
    [
      'no detail',
      (() => {
        const { detail: _d, ...rest } = ecrPushEvent(repo, DIGEST, 't');
        return rest;
      })(),
      /detail: /,
    ],
    ['no repository-name', withDetail('repository-name', undefined), /detail\.repository-name: /],
    ['an empty repository-name', withDetail('repository-name', ''), /detail\.repository-name: /],
    ['no image-digest', withDetail('image-digest', undefined), /detail\.image-digest: /],
    ['a digest that is not sha256', withDetail('image-digest', 'sha256:xyz'), /detail\.image-digest: must be a sha256 digest/],
    ['an md5 digest', withDetail('image-digest', `md5:${'a'.repeat(32)}`), /detail\.image-digest: must be a sha256 digest/],
    ['no action-type', withDetail('action-type', undefined), /detail\.action-type: /],
    ['a numeric tag', withDetail('image-tag', 27), /detail\.image-tag: /],
    ['a manifest-config that is not an object', withDetail('manifest-config', 'sha256:abc'), /detail\.manifest-config: expected an object/],
    [
      'a manifest-config without a size',
      withDetail('manifest-config', { mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST }),
      /detail\.manifest-config\.size: expected a byte count/,
    ],
    [
      'a manifest-config whose digest is not sha256',
      withDetail('manifest-config', { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'md5:x', size: 3 }),
      /detail\.manifest-config\.digest: must be a sha256 digest/,
    ],
    [
      'no source',
      (() => {
        const { source: _s, ...rest } = ecrPushEvent(repo, DIGEST, 't');
        return rest;
      })(),
      /source: /,
    ],
    ['null', null, /malformed ECR Image Action event: event: /],
    ['a string', 'PUSH hello:2.7', /malformed ECR Image Action event: event: /],
  ])('when the event has %s', (_name, event, message) => {
    it('throws naming the field, logs the failure, and records nothing', async () => {
      const h = await harness();
      await expect(onImagePush(h)(event, lambdaContext)).rejects.toThrow(message);
      expect(h.logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
        'on-image-push failed; the event will be retried or dead-lettered',
      ]);
      expect(await h.store.listVersions(repo, { limit: 10 })).toEqual({ versions: [], cursor: null });
    });
  });

  it.each([
    [
      'from another source',
      { ...ecrPushEvent(repo, DIGEST, '2.7-amd64'), source: 'aws.s3' },
      'event from aws.s3 / ECR Image Action is not an ECR Image Action',
    ],
    [
      'of another detail-type',
      { ...ecrPushEvent(repo, DIGEST, '2.7-amd64'), 'detail-type': 'ECR Image Scan' },
      'event from aws.ecr / ECR Image Scan is not an ECR Image Action',
    ],
    ['a DELETE', withDetail('action-type', 'DELETE'), 'action-type DELETE is not PUSH'],
    ['a failed push', withDetail('result', 'FAILURE'), 'result FAILURE is not SUCCESS'],
  ])('ignores an event %s, with an info line giving the reason', async (_name, event, reason) => {
    const h = await harness();
    expect(await onImagePush(h)(event, lambdaContext)).toEqual({ kind: 'ignored', reason });
    expect(h.logger.lines).toContainEqual({ level: 'info', message: `event ignored: ${reason}`, fields: { eventId: event.id } });
    expect(h.registry.calls.fetchManifest).toBe(0);
  });

  it('ignores, with a reason, pushes that are not per-arch pushes of a configured repository', async () => {
    const h = await harness();
    const image = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
    h.registry.addImage('other', { platform: 'linux/amd64', tag: '2.7-amd64' });
    const cases: Array<[ReturnType<typeof ecrPushEvent>, string]> = [
      [ecrPushEvent('other', image, '2.7-amd64'), 'repository other has no configuration'],
      [ecrPushEvent(repo, image, 'latest'), 'tag latest does not match tagPattern'],
      [ecrPushEvent(repo, image, 'bad tag!-amd64'), 'does not match tagPattern'],
      [ecrPushEvent(repo, image, '2.8-amd64'), 'tag 2.8-amd64 no longer exists'],
      [ecrPushEvent(repo, DIGEST, '2.7-amd64'), `stale: 2.7-amd64 now points to ${image}, not ${DIGEST}`],
    ];
    for (const [event, reason] of cases) {
      expect(await onImagePush(h)(event, lambdaContext)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining(reason) });
    }
    expect(h.logger.messages('info').filter((m) => m.startsWith('push ignored:'))).toHaveLength(cases.length);
    expect(await h.store.getVersion({ repository: repo, version: '2.7' })).toBeUndefined();
  });
});

/** A registry that serves other bytes than it was asked for (a broken proxy, a bug in an adapter). */
class LyingRegistry extends InMemoryImageRegistry {
  readonly manifestLies = new Map<string, Uint8Array>();
  readonly blobLies = new Map<string, Uint8Array>();

  override async fetchManifest(repository: string, digest: string): Promise<RawManifest> {
    const real = await super.fetchManifest(repository, digest);
    const bytes = this.manifestLies.get(digest);
    return bytes === undefined ? real : { ...real, bytes, size: bytes.byteLength };
  }

  override async fetchBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    const real = await super.fetchBlob(repository, descriptor, maxBytes);
    return this.blobLies.get(descriptor.digest) ?? real;
  }
}

async function lyingHarness(): Promise<Harness & { registry: LyingRegistry }> {
  const h = await harness();
  const registry = new LyingRegistry();
  return { ...h, registry, deps: { ...h.deps, registry } };
}

/** Stores a manifest referencing a config blob with these bytes. */
function imageWithConfig(registry: InMemoryImageRegistry, config: string | object, tag: string): string {
  const blob = registry.storeBlob(repo, config);
  return registry.storeManifest(
    repo,
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: blob.digest, size: blob.size },
      layers: [],
    },
    MediaTypes.ociManifest,
    tag,
  ).digest;
}

describe('bad content behind a push', () => {
  const tag = '2.7-amd64';
  type Setup = (h: Harness & { registry: LyingRegistry }) => string;
  const cases: Array<[string, Setup, RegExp]> = [
    [
      'a manifest that is not JSON',
      (h) => h.registry.storeManifest(repo, '{"schemaVersion": 2,', MediaTypes.ociManifest, tag).digest,
      /is not JSON/,
    ],
    [
      'a manifest that is a JSON array',
      (h) => h.registry.storeManifest(repo, '[1,2]', MediaTypes.ociManifest, tag).digest,
      /is not a JSON object/,
    ],
    [
      'a manifest of an unknown media type',
      (h) =>
        h.registry.storeManifest(
          repo,
          { schemaVersion: 2, mediaType: 'application/vnd.example.thing+json', blobs: [] },
          'application/vnd.example.thing+json',
          tag,
        ).digest,
      /media type application\/vnd\.example\.thing\+json, which is neither an image manifest nor an index/,
    ],
    [
      'a schema 1 manifest',
      (h) =>
        h.registry.storeManifest(
          repo,
          { schemaVersion: 1, name: repo, tag, architecture: 'amd64', fsLayers: [], history: [] },
          MediaTypes.dockerSchema1Signed,
          tag,
        ).digest,
      /Docker schema 1 manifest.*push the image again/,
    ],
    [
      'a manifest without a config',
      (h) =>
        h.registry.storeManifest(repo, { schemaVersion: 2, mediaType: MediaTypes.ociManifest, layers: [] }, MediaTypes.ociManifest, tag)
          .digest,
      /config is not a descriptor/,
    ],
    [
      'a manifest too large for the registry adapter',
      (h) => {
        const digest = h.registry.addImage(repo, { platform: 'linux/amd64', tag }).manifest.digest;
        h.registry.failNext(
          'fetchManifest',
          1,
          new RegistryError(ErrorCodes.tooLarge, `manifest ${digest} is 5242880 bytes, more than 4194304`),
        );
        return digest;
      },
      /5242880 bytes, more than 4194304/,
    ],
    [
      'a manifest larger than any registry accepts, served whole',
      (h) => h.registry.storeManifest(repo, `{"schemaVersion": 2${' '.repeat(4 * 1024 * 1024)}}`, MediaTypes.ociManifest, tag).digest,
      /is 4194324 bytes, more than 4194304/,
    ],
    [
      'a manifest whose bytes the adapter found not to match the digest',
      (h) => {
        const digest = h.registry.addImage(repo, { platform: 'linux/amd64', tag }).manifest.digest;
        h.registry.failNext('fetchManifest', 1, new RegistryError(ErrorCodes.digestMismatch, `manifest bytes are not ${digest}`));
        return digest;
      },
      /manifest bytes are not sha256:/,
    ],
    [
      'a manifest whose bytes do not match its digest (the registry lies)',
      (h) => {
        const digest = h.registry.addImage(repo, { platform: 'linux/amd64', tag }).manifest.digest;
        h.registry.manifestLies.set(digest, h.registry.addImage(repo, { platform: 'linux/amd64', label: 'other' }).manifest.bytes);
        return digest;
      },
      /do not match|does not match/,
    ],
    [
      'a config blob whose bytes do not match its digest (the registry lies)',
      (h) => {
        const image = h.registry.addImage(repo, { platform: 'linux/amd64', tag });
        h.registry.blobLies.set(image.config.digest, new TextEncoder().encode('{"architecture":"arm64","os":"linux"}'));
        return image.manifest.digest;
      },
      /do not match|does not match/,
    ],
    [
      'a config blob that is not JSON',
      (h) => imageWithConfig(h.registry, 'not json', tag),
      /config sha256:[a-f0-9]{64} of sha256:[a-f0-9]{64} is not JSON/,
    ],
    [
      'a config blob without architecture and os',
      (h) => imageWithConfig(h.registry, { config: {}, rootfs: { type: 'layers', diff_ids: [] } }, tag),
      /has no architecture or os.*platformOverrides/,
    ],
    [
      'a config blob with an architecture that is not a platform component',
      (h) => imageWithConfig(h.registry, { architecture: 'amd 64', os: 'linux' }, tag),
      /architecture "amd 64"/,
    ],
    [
      'an index describing a child with the wrong size',
      (h) => {
        const child = h.registry.addImage(repo, { platform: 'linux/amd64' }).manifest;
        return h.registry.storeManifest(
          repo,
          {
            schemaVersion: 2,
            mediaType: MediaTypes.ociIndex,
            manifests: [
              { mediaType: child.mediaType, digest: child.digest, size: child.size + 1, platform: { os: 'linux', architecture: 'amd64' } },
            ],
          },
          MediaTypes.ociIndex,
          tag,
        ).digest;
      },
      /describes child .* bytes, but the registry holds/,
    ],
    [
      'an index holding two images of one platform',
      (h) => {
        const a = h.registry.addImage(repo, { platform: 'linux/amd64' }).manifest;
        const b = h.registry.addImage(repo, { platform: 'linux/amd64', label: 'b' }).manifest;
        const child = (m: RawManifest) => ({
          mediaType: m.mediaType,
          digest: m.digest,
          size: m.size,
          platform: { os: 'linux', architecture: 'amd64' },
        });
        return h.registry.storeManifest(
          repo,
          { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [child(a), child(b)] },
          MediaTypes.ociIndex,
          tag,
        ).digest;
      },
      /holds two images of platform linux\/amd64/,
    ],
  ];

  it.each(cases)(
    'rejects %s: the reason names repository, tag and digest; a warn line; the refusal recorded, no image',
    async (_name, setUp, why) => {
      const h = await lyingHarness();
      const digest = setUp(h);

      const outcome = await onImagePush(h)(ecrPushEvent(repo, digest, tag), lambdaContext);

      expect(outcome).toMatchObject({ kind: 'rejected' });
      const reason = (outcome as { reason: string }).reason;
      expect(reason).toContain(`${repo}:${tag}`);
      expect(reason).toContain(digest);
      expect(reason).toMatch(why);
      expect(h.logger.lines.filter((l) => l.level === 'warn')).toEqual([
        {
          level: 'warn',
          message: `push rejected: ${reason}`,
          fields: expect.objectContaining({ repository: repo, tag, digest, outcome: 'rejected' }),
        },
      ]);
      const stored = await h.store.getVersion({ repository: repo, version: '2.7' });
      expect(stored).toMatchObject({ revision: 0, images: {} });
      expect(stored?.rejected).toEqual({ [tag]: { tag, digest, reason: expect.stringMatching(why), at: expect.any(String) } });
      expect(h.registry.puts).toEqual([]);
    },
  );

  it('loses nothing else: the version publishes once the bad tag is pushed again with a good image', async () => {
    const h = await harness();
    const handler = onImagePush(h);
    const arm = h.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64' }).manifest.digest;
    expect(await handler(ecrPushEvent(repo, arm, '2.7-arm64'), lambdaContext)).toMatchObject({
      kind: 'recorded',
      publish: { kind: 'waiting' },
    });
    const bad = imageWithConfig(h.registry, { config: {} }, '2.7-amd64');
    expect(await handler(ecrPushEvent(repo, bad, '2.7-amd64'), lambdaContext)).toMatchObject({ kind: 'rejected' });
    expect(Object.keys((await h.store.getVersion({ repository: repo, version: '2.7' }))!.images)).toEqual(['linux/arm64']);

    const good = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
    expect(await handler(ecrPushEvent(repo, good, '2.7-amd64'), lambdaContext)).toMatchObject({
      kind: 'recorded',
      publish: { kind: 'published' },
    });
    expectValidIndex(h.registry.manifestAt(repo, '2.7')!);
    expect((await h.store.getVersion({ repository: repo, version: '2.7' }))?.rejected).toEqual({});
  });

  it('accepts a config without architecture/os when platformOverrides maps the tag (the fix the message gives)', async () => {
    const h = await harness({ platformOverrides: { amd64: 'linux/amd64' } });
    const digest = imageWithConfig(h.registry, { config: {} }, '2.7-amd64');
    expect(await onImagePush(h)(ecrPushEvent(repo, digest, '2.7-amd64'), lambdaContext)).toMatchObject({
      kind: 'recorded',
      platforms: ['linux/amd64'],
    });
  });

  it('throws (for a retry) when the registry is only unavailable, and records nothing', async () => {
    const h = await harness();
    const digest = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
    h.registry.failNext('fetchBlob', 1, new RegistryError(ErrorCodes.unavailable, 'registry answered 503', { retryable: true }));
    await expect(onImagePush(h)(ecrPushEvent(repo, digest, '2.7-amd64'), lambdaContext)).rejects.toThrow('registry answered 503');
    expect(await h.store.getVersion({ repository: repo, version: '2.7' })).toBeUndefined();
    expect(h.logger.lines.find((l) => l.level === 'error')?.fields).toMatchObject({ retryable: true, eventId: expect.any(String) });
  });
});

describe('two images claiming one platform of one version', () => {
  it('is a conflict naming both tags and digests, shown by GET …/versions/{v} as state conflict with error', async () => {
    const h = await harness();
    const handler = onImagePush(h);
    const first = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
    const second = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-x86', label: 'other build' }).manifest.digest;

    await handler(ecrPushEvent(repo, first, '2.7-amd64'), lambdaContext);
    const outcome = await handler(ecrPushEvent(repo, second, '2.7-x86'), lambdaContext);

    expect(outcome).toMatchObject({ kind: 'conflict', version: '2.7' });
    const message = (outcome as { message: string }).message;
    for (const word of ['2.7-amd64', '2.7-x86', first, second, 'linux/amd64']) expect(message).toContain(word);
    expect(h.logger.messages('warn')).toEqual([`push conflicts: ${message}`]);

    const response = await createApiHandler(h.deps, { timeoutEarlyInMillis: 0 })(
      apiEvent('GET', `/v1/repositories/${repo}/versions/2.7`),
      lambdaContext,
    );
    expect(response.statusCode).toBe(200);
    const status = JSON.parse(response.body ?? '{}');
    expect(status.state).toBe('conflict');
    expect(status.error).toContain(first);
    expect(status.error).toContain(second);
    expect(status.images.map((i: { tag: string }) => i.tag)).toEqual(['2.7-amd64']);
    expect(h.registry.puts).toEqual([]);
  });

  it('is no conflict when the same image is pushed under two per-arch tags', async () => {
    const h = await harness();
    const image = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
    h.registry.tag(repo, '2.7-x86', image);
    await onImagePush(h)(ecrPushEvent(repo, image, '2.7-amd64'), lambdaContext);
    expect(await onImagePush(h)(ecrPushEvent(repo, image, '2.7-x86'), lambdaContext)).toMatchObject({ kind: 'recorded', changed: false });
  });
});

// Keeps computeDigest in use for readers checking the lying registry's premise.
it('the lying registry really serves bytes that do not hash to the digest asked for', async () => {
  const h = await lyingHarness();
  const digest = h.registry.addImage(repo, { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest.digest;
  h.registry.manifestLies.set(digest, new TextEncoder().encode('{}'));
  const served = await h.registry.fetchManifest(repo, digest);
  expect(served.digest).toBe(digest);
  expect(computeDigest(served.bytes)).not.toBe(digest);
});
