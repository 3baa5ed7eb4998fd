import { beforeEach, describe, expect, it } from 'vitest';
import { DomainError, ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { buildIndex } from '../../src/core/index-builder.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { PublishTiming } from '../../src/core/publish-gate.ts';
import { publishVersion } from '../../src/core/publish-version.ts';
import { readPushedImages } from '../../src/core/read-push.ts';
import { deriveState } from '../../src/core/readiness.ts';
import type { RepositoryConfigInput } from '../../src/core/repository-config.ts';
import type { RecordedImage, VersionRecord } from '../../src/core/version-record.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { config, type World, world } from './fixtures.ts';

const repo = 'hello';

/** Pushes a per-arch image to the fake registry and reads it as recordPush would. */
async function pushImage(
  w: World,
  platform: string,
  tag: string,
  options: { label?: string; buildx?: boolean; format?: 'oci' | 'docker' } = {},
): Promise<RecordedImage> {
  const digest = options.buildx
    ? w.registry.addBuildxIndex(repo, { platform, tag, label: options.label, format: options.format }).index.digest
    : w.registry.addImage(repo, { platform, tag, label: options.label, format: options.format }).manifest.digest;
  const read = await readPushedImages(w.registry, { repository: repo, digest, tag, pushedAt: w.clock.iso() });
  return read.images[0]!;
}

async function setUp(w: World, images: RecordedImage[], input: Partial<RepositoryConfigInput> = {}): Promise<VersionRecord> {
  await w.store.putRepositoryConfig(repo, config(input));
  const record = await w.store.updateImages(
    { repository: repo, version: '2.7' },
    { set: images, remove: [] },
    { expectedRevision: 0, now: w.clock.now() },
  );
  return record!;
}

async function state(w: World) {
  return deriveState(
    await w.store.getRepositoryConfig(repo),
    (await w.store.getVersion({ repository: repo, version: '2.7' }))!,
    w.clock.now(),
  );
}

describe('publishVersion', () => {
  let w: World;
  let amd64: RecordedImage;
  let arm64: RecordedImage;
  beforeEach(async () => {
    w = world();
    amd64 = await pushImage(w, 'linux/amd64', '2.7-amd64');
    arm64 = await pushImage(w, 'linux/arm64', '2.7-arm64');
  });

  it('waits while a required platform is missing, puts nothing and gives the lease back', async () => {
    await setUp(w, [amd64]);
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toEqual({ kind: 'waiting', missing: ['linux/arm64'] });
    expect(w.registry.calls.putManifest).toBe(0);
    expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.lease).toBeUndefined();
    expect(await state(w)).toBe('waiting');
  });

  it('publishes a complete version under every target tag, once', async () => {
    await setUp(w, [arm64, amd64], { targetTags: ['{version}', 'v{version}'] });
    const outcome = await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    const expected = buildIndex([amd64, arm64], 'auto').manifest;
    expect(outcome).toEqual({ kind: 'published', digest: expected.digest, revision: 1, tags: ['2.7', 'v2.7'] });
    const stored = w.registry.manifestAt(repo, '2.7')!;
    expectValidIndex(stored);
    expect(Buffer.from(stored.bytes).equals(Buffer.from(expected.bytes))).toBe(true);
    expect(w.registry.manifestAt(repo, 'v2.7')?.digest).toBe(expected.digest);
    expect(w.registry.puts.map((p) => [p.tag, p.digest, p.result])).toEqual([
      ['2.7', expected.digest, 'stored'],
      ['v2.7', expected.digest, 'stored'],
    ]);
    // Tags the tag pattern does not match are never read as per-arch pushes: nothing to remember in the store.
    expect(await w.store.isPublishedTag({ repository: repo, tag: '2.7', digest: expected.digest })).toBe(false);
    const record = await w.store.getVersion({ repository: repo, version: '2.7' });
    expect(record?.published).toMatchObject({
      digest: expected.digest,
      revision: 1,
      tags: ['2.7', 'v2.7'],
      mediaType: MediaTypes.ociIndex,
      size: expected.size,
    });
    expect(record?.lease).toBeUndefined();
    expect(await state(w)).toBe('published');
  });

  it('publishes what is there with allowPartial', async () => {
    await setUp(w, [amd64]);
    const outcome = await publishVersion(w.deps, repo, '2.7', { revision: 1, allowPartial: true });
    expect(outcome).toMatchObject({ kind: 'published', revision: 1 });
    const body = expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
    expect(body.manifests.map((c) => c.digest)).toEqual([amd64.digest]);
  });

  it('is up to date when the revision is published already, and puts nothing', async () => {
    await setUp(w, [amd64, arm64]);
    const first = await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    const again = await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    expect(again).toEqual({ kind: 'up-to-date', digest: first.kind === 'published' ? first.digest : 'not published' });
    expect(w.registry.calls.putManifest).toBe(1);
  });

  it('is not-found for a version never recorded', async () => {
    await w.store.putRepositoryConfig(repo, config());
    expect(await publishVersion(w.deps, repo, '9.9', { revision: 1 })).toEqual({ kind: 'not-found' });
  });

  it('fails without retry when the repository has no config', async () => {
    await setUp(w, [amd64, arm64]);
    await w.store.deleteRepositoryConfig(repo);
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toEqual({
      kind: 'failed',
      message: 'repository hello has no configuration',
      retryable: false,
    });
  });

  it('waits for another owner holding the lease, then finds its revision published', async () => {
    await setUp(w, [amd64, arm64]);
    expect(
      await w.store.acquireLease(
        { repository: repo, version: '2.7' },
        { owner: 'other', now: w.clock.now(), leaseMs: PublishTiming.leaseMs },
      ),
    ).toBeDefined();
    const index = buildIndex([amd64, arm64], 'auto').manifest;
    const other = (async () => {
      await w.clock.sleep(3_000);
      await w.registry.putManifest(repo, '2.7', index);
      await w.store.recordPublished(
        { repository: repo, version: '2.7' },
        {
          owner: 'other',
          published: { digest: index.digest, mediaType: index.mediaType, size: index.size, tags: ['2.7'], at: w.clock.iso(), revision: 1 },
          now: w.clock.now(),
        },
      );
      await w.store.releaseLease({ repository: repo, version: '2.7' }, { owner: 'other', expectedRevision: 1 });
    })();
    const outcome = await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    await other;
    expect(outcome).toEqual({ kind: 'up-to-date', digest: index.digest });
    expect(w.registry.calls.putManifest).toBe(1);
    expect(w.clock.sleeps.length).toBeGreaterThan(1);
  });

  it('hands over when a later revision exists while another owner holds the lease', async () => {
    await setUp(w, [amd64]);
    await w.store.updateImages(
      { repository: repo, version: '2.7' },
      { set: [arm64], remove: [] },
      { expectedRevision: 1, now: w.clock.now() },
    );
    await w.store.acquireLease(
      { repository: repo, version: '2.7' },
      { owner: 'other', now: w.clock.now(), leaseMs: PublishTiming.leaseMs },
    );
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toEqual({
      kind: 'handed-over',
      reason: 'revision 2 was recorded after 1',
    });
    expect(w.registry.calls.putManifest).toBe(0);
  });

  it('takes over a lease whose owner died once it expires', async () => {
    await setUp(w, [amd64, arm64]);
    const taken = w.clock.now();
    await w.store.acquireLease({ repository: repo, version: '2.7' }, { owner: 'dead', now: taken, leaseMs: PublishTiming.leaseMs });
    w.clock.advance(10_000);
    const outcome = await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    expect(outcome).toMatchObject({ kind: 'published', revision: 1 });
    expect(w.clock.now()).toBeGreaterThan(taken + PublishTiming.leaseMs);
    expect(w.registry.manifestAt(repo, '2.7')?.digest).toBe(buildIndex([amd64, arm64], 'auto').manifest.digest);
  });

  it('outlasts a fresh dead lease and takes over when it expires, in the same call', async () => {
    await setUp(w, [amd64, arm64]);
    const start = w.clock.now();
    await w.store.acquireLease({ repository: repo, version: '2.7' }, { owner: 'dead', now: start, leaseMs: PublishTiming.leaseMs });
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toMatchObject({ kind: 'published' });
    expect(w.clock.now() - start).toBeGreaterThan(PublishTiming.leaseMs);
    expect(w.registry.calls.putManifest).toBe(1);
  });

  it('gives up with a retryable busy error when told to wait less than the dead lease has left', async () => {
    await setUp(w, [amd64, arm64]);
    await w.store.acquireLease({ repository: repo, version: '2.7' }, { owner: 'dead', now: w.clock.now(), leaseMs: PublishTiming.leaseMs });
    const error = await publishVersion(w.deps, repo, '2.7', { revision: 1, waitForLeaseMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: ErrorCodes.busy, retryable: true });
    expect(w.registry.calls.putManifest).toBe(0);
    w.clock.advance(PublishTiming.leaseMs);
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toMatchObject({ kind: 'published' });
  });

  it('gives the lease back at once when the store fails mid-publish', async () => {
    await setUp(w, [amd64, arm64]);
    const original = w.store.completePublish.bind(w.store);
    w.store.completePublish = async () => {
      throw new Error('store unavailable');
    };
    await expect(publishVersion(w.deps, repo, '2.7', { revision: 1 })).rejects.toThrow('store unavailable');
    w.store.completePublish = original;
    expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.lease).toBeUndefined();
    // The retry needs no second put: the tag already holds the index.
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toMatchObject({ kind: 'published' });
    expect(w.registry.calls.putManifest).toBe(1);
  });

  it('publishes again with the newer images when the revision moves during publish', async () => {
    await setUp(w, [amd64, arm64]);
    const rebuild = await pushImage(w, 'linux/arm64', '2.7-arm64', { label: 'rebuild' });
    let moved = false;
    w.registry.beforeCall = async (method) => {
      if (method !== 'putManifest' || moved) return;
      moved = true;
      expect(
        await w.store.updateImages(
          { repository: repo, version: '2.7' },
          { set: [rebuild], remove: [] },
          { expectedRevision: 1, now: w.clock.now() },
        ),
      ).toBeDefined();
    };
    const outcome = await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    const older = buildIndex([amd64, arm64], 'auto').manifest;
    const newer = buildIndex([amd64, rebuild], 'auto').manifest;
    expect(outcome).toEqual({ kind: 'published', digest: newer.digest, revision: 2, tags: ['2.7'] });
    expect(w.registry.puts.map((p) => p.digest)).toEqual([older.digest, newer.digest]);
    expect(w.registry.manifestAt(repo, '2.7')?.digest).toBe(newer.digest);
    expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
    expect(await state(w)).toBe('published');
    expect(w.logger.messages('info')).toContain('images changed while publishing; publishing again');
  });

  it('records a conflict when an immutable tag points elsewhere', async () => {
    await setUp(w, [amd64, arm64]);
    w.registry.makeImmutable(repo);
    w.registry.tag(repo, '2.7', amd64.digest);
    const outcome = await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    expect(outcome).toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(/tag 2.7 in immutable repository hello already points to/),
    });
    expect(w.registry.calls.putManifest).toBe(1);
    expect(await state(w)).toBe('conflict');
    // A conflict needs a person: asking again does not put again.
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toMatchObject({ kind: 'conflict' });
    expect(w.registry.calls.putManifest).toBe(1);
  });

  it('retries a retryable put failure with back-off and then publishes', async () => {
    await setUp(w, [amd64, arm64]);
    w.registry.failNext(
      'putManifest',
      2,
      () => new RegistryError(ErrorCodes.referencedImagesNotFound, 'children not visible yet', { retryable: true }),
    );
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toMatchObject({ kind: 'published' });
    expect(w.registry.calls.putManifest).toBe(3);
    expect(w.clock.sleeps).toEqual([200, 400]);
    expect(w.logger.messages('warn').filter((m) => m === 'put failed; retrying')).toHaveLength(2);
  });

  it('honours retryAfterSeconds from a throttled put', async () => {
    await setUp(w, [amd64, arm64]);
    w.registry.failNext(
      'putManifest',
      1,
      new RegistryError(ErrorCodes.throttled, 'slow down', { retryable: true, details: { retryAfterSeconds: 2 } }),
    );
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toMatchObject({ kind: 'published' });
    expect(w.clock.sleeps).toEqual([2_000]);
  });

  it('throws a retryable error after the last attempt, leaving the version failed and the lease free', async () => {
    await setUp(w, [amd64, arm64]);
    w.registry.failNext(
      'putManifest',
      PublishTiming.putAttempts,
      () => new RegistryError(ErrorCodes.unavailable, 'registry 503', { retryable: true }),
    );
    const error = await publishVersion(w.deps, repo, '2.7', { revision: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, message: 'registry 503' });
    expect(w.registry.calls.putManifest).toBe(PublishTiming.putAttempts);
    expect(await state(w)).toBe('failed');
    const record = await w.store.getVersion({ repository: repo, version: '2.7' });
    expect(record?.lease).toBeUndefined();
    expect(record?.error).toMatchObject({ kind: 'failed', message: 'registry 503', revision: 1 });
    // The retry (a redelivered event) publishes and clears the error.
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toMatchObject({ kind: 'published' });
    expect(await state(w)).toBe('published');
    expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.error).toBeUndefined();
  });

  it('returns a non-retryable put failure as failed without retrying', async () => {
    await setUp(w, [amd64, arm64]);
    w.registry.failNext('putManifest', 1, new RegistryError(ErrorCodes.denied, 'not allowed to PutImage'));
    expect(await publishVersion(w.deps, repo, '2.7', { revision: 1 })).toEqual({
      kind: 'failed',
      message: 'not allowed to PutImage',
      retryable: false,
    });
    expect(w.registry.calls.putManifest).toBe(1);
    expect(await state(w)).toBe('failed');
  });

  it('publishes a buildx image with its attestation, and leaves it out of a Docker list with a warning', async () => {
    const buildxArm = await pushImage(w, 'linux/arm64', '2.7-arm64', { buildx: true, label: 'bx' });
    await setUp(w, [amd64, buildxArm]);
    await publishVersion(w.deps, repo, '2.7', { revision: 1 });
    const oci = expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
    expect(oci.manifests.map((c) => c.digest)).toEqual([amd64.digest, buildxArm.digest, buildxArm.attestations[0]!.digest]);

    await w.store.putRepositoryConfig(repo, config({ indexMediaType: 'docker' }));
    await w.store.updateImages(
      { repository: repo, version: '2.7' },
      { set: [{ ...amd64, pushedAt: 'later', sourceDigest: 'x' }], remove: [] },
      { expectedRevision: 1, now: w.clock.now() },
    );
    await publishVersion(w.deps, repo, '2.7', { revision: 2 });
    const docker = expectValidIndex(w.registry.manifestAt(repo, '2.7')!);
    expect(docker.mediaType).toBe(MediaTypes.dockerManifestList);
    expect(docker.manifests).toHaveLength(2);
    expect(w.logger.lines.find((l) => l.level === 'warn' && l.message.startsWith('attestations left out'))?.fields).toMatchObject({
      omitted: 1,
    });
  });
});
