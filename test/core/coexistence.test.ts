import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { publishVersion } from '../../src/core/publish-version.ts';
import { reconcileRepository } from '../../src/core/reconcile.ts';
import { recordPush } from '../../src/core/record-push.ts';
import type { RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { classifyTagHolder, SociV2 } from '../../src/core/tag-holder.ts';
import { toVersionStatus } from '../../src/core/version-status.ts';
import { versionsForTargetTag } from '../../src/core/version-tag.ts';
import { parseEcrImageActionEvent, readEcrImageAction } from '../../src/handlers/ecr-image-action.ts';
import { ecrPushEvent } from '../support/ecr-event.ts';
import { countingWorld } from './counting-world.ts';
import { config, type World, world } from './fixtures.ts';

// Other tools that touch the version tag on ECR (SOCI v2 conversion, signatures, replication into
// another region) and immutable tags, against the in-memory fakes. The ECR path is in
// test/e2e/ecr-coexistence.e2e.test.ts.

const repo = 'hello';
// biome-ignore lint/suspicious/noExplicitAny: manifests read and rewritten by path; the assertions check their shape.
const decode = (bytes: Uint8Array): any => JSON.parse(new TextDecoder().decode(bytes));

async function configure(w: World, input: Partial<RepositoryConfigInput> = {}): Promise<void> {
  await w.store.putRepositoryConfig(repo, config(input));
}

async function push(w: World, platform: string, tag: string, label?: string) {
  const digest = w.registry.addImage(repo, { platform, tag, ...(label === undefined ? {} : { label }) }).manifest.digest;
  return recordPush(w.deps, { repository: repo, digest, tag });
}

async function published(w: World, input: Partial<RepositoryConfigInput> = {}, version = '2.7'): Promise<string> {
  await configure(w, input);
  await push(w, 'linux/amd64', `${version}-amd64`);
  await push(w, 'linux/arm64', `${version}-arm64`);
  return (await w.registry.resolveTag(repo, version))!;
}

async function status(w: World, version = '2.7') {
  const record = await w.store.getVersion({ repository: repo, version });
  return toVersionStatus(record!, await w.store.getRepositoryConfig(repo), w.clock.now());
}

/**
 * What `soci convert` pushes over a tag: each image re-serialised with the SOCI annotation (same
 * config and layers, so a new digest), each followed by its SOCI index (an artifact manifest).
 */
async function sociEnable(w: World, tag: string, options: { copies?: boolean } = {}): Promise<string> {
  const ours = decode(w.registry.manifestAt(repo, tag)!.bytes);
  const empty = w.registry.storeBlob(repo, {});
  const manifests: object[] = [];
  for (const child of ours.manifests) {
    if (child.platform?.architecture === 'unknown') {
      manifests.push(child);
      continue;
    }
    const ztoc = w.registry.storeBlob(repo, `ztoc of ${child.digest}`);
    const soci = w.registry.storeManifest(
      repo,
      {
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        artifactType: SociV2.indexArtifactType,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: empty.size },
        layers: [{ mediaType: 'application/octet-stream', digest: ztoc.digest, size: ztoc.size }],
      },
      MediaTypes.ociManifest,
    );
    let image = child;
    if (options.copies !== false) {
      const original = decode((await w.registry.fetchManifest(repo, child.digest)).bytes);
      const copy = w.registry.storeManifest(repo, { ...original, annotations: { [SociV2.imageAnnotation]: soci.digest } }, child.mediaType);
      image = { ...child, digest: copy.digest, size: copy.size, annotations: { [SociV2.imageAnnotation]: soci.digest } };
    }
    manifests.push(image);
    manifests.push({
      mediaType: MediaTypes.ociManifest,
      digest: soci.digest,
      size: soci.size,
      artifactType: SociV2.indexArtifactType,
      platform: child.platform,
      annotations: { [SociV2.indexAnnotation]: image.digest },
    });
  }
  return w.registry.storeManifest(repo, { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }, MediaTypes.ociIndex, tag).digest;
}

/** A Notation signature whose subject is `subject`, put under `tag` (as a referrers-less tool would). */
async function signatureOver(w: World, tag: string, subject: string): Promise<string> {
  const ours = await w.registry.fetchManifest(repo, subject);
  const empty = w.registry.storeBlob(repo, {});
  const envelope = w.registry.storeBlob(repo, `signature of ${subject}`);
  return w.registry.storeManifest(
    repo,
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: 'application/vnd.cncf.notary.signature',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: empty.size },
      layers: [{ mediaType: 'application/jose+json', digest: envelope.digest, size: envelope.size }],
      subject: { mediaType: ours.mediaType, digest: subject, size: ours.size },
    },
    MediaTypes.ociManifest,
    tag,
  ).digest;
}

describe('a version tag another tool rewrote on top of our index', () => {
  it.each(['report', 'restore'] as const)(
    'SOCI v2 (copies of our images plus SOCI indexes): not drift, not restored over (onDrift %s), noted in status',
    async (onDrift) => {
      const w = countingWorld();
      const ours = await published(w, { onDrift });
      const soci = await sociEnable(w, '2.7');
      const puts = w.registry.puts.length;

      const report = await reconcileRepository(w.deps, repo);

      expect(report).toMatchObject({ drift: [], conflicts: [], failures: [] });
      expect(await w.registry.resolveTag(repo, '2.7')).toBe(soci);
      expect(w.registry.puts.length).toBe(puts);
      const noted = await status(w);
      expect(noted).toMatchObject({ state: 'published', error: null, published: { digest: ours } });
      expect(noted.published?.heldBy).toEqual([{ tag: '2.7', digest: soci, note: expect.stringContaining('SOCI-enabled index') }]);
      expect(noted.published?.heldBy?.[0]?.note).toContain(ours);

      // Noted once: the next pass writes nothing.
      w.writes.length = 0;
      expect((await reconcileRepository(w.deps, repo)).drift).toEqual([]);
      expect(w.writes).toEqual([]);
    },
  );

  it('an index with our images by digest plus SOCI indexes is built on ours too', async () => {
    const w = world();
    await published(w, { onDrift: 'restore' });
    const soci = await sociEnable(w, '2.7', { copies: false });
    const puts = w.registry.puts.length;
    expect((await reconcileRepository(w.deps, repo)).drift).toEqual([]);
    expect(w.registry.puts.length).toBe(puts);
    expect((await status(w)).published?.heldBy?.map((h) => h.digest)).toEqual([soci]);
  });

  it('a signature whose subject is our index, put under the tag: left alone and described', async () => {
    const w = world();
    const ours = await published(w, { onDrift: 'restore' });
    const signature = await signatureOver(w, '2.7', ours);
    const puts = w.registry.puts.length;

    expect((await reconcileRepository(w.deps, repo)).drift).toEqual([]);
    expect(w.registry.puts.length).toBe(puts);
    expect((await status(w)).published?.heldBy).toEqual([
      { tag: '2.7', digest: signature, note: `2.7 holds ${signature}, a Notation signature whose subject is the published index ${ours}` },
    ]);
  });

  it('a foreign index (one of our images and another image, plus a SOCI index) is still drift', async () => {
    const w = world();
    const ours = await published(w, { onDrift: 'report' });
    const amd64 = decode(w.registry.manifestAt(repo, '2.7')!.bytes).manifests[0];
    const other = w.registry.addImage(repo, { platform: 'linux/arm64', label: 'someone-else' }).manifest;
    const foreign = w.registry.storeManifest(
      repo,
      {
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          amd64,
          { mediaType: other.mediaType, digest: other.digest, size: other.size, platform: { architecture: 'arm64', os: 'linux' } },
          { mediaType: MediaTypes.ociManifest, digest: amd64.digest, size: amd64.size, artifactType: SociV2.indexArtifactType },
        ],
      },
      MediaTypes.ociIndex,
      '2.7',
    ).digest;

    const report = await reconcileRepository(w.deps, repo);

    expect(report.drift).toEqual([{ version: '2.7', tag: '2.7', expected: ours, actual: foreign, action: 'reported' }]);
    expect((await status(w)).state).toBe('conflict');
  });

  it('a rebuild after the tool rewrote the tag republishes over it (a new index, not a conflict)', async () => {
    const w = world();
    await published(w);
    await sociEnable(w, '2.7');
    const outcome = await push(w, 'linux/arm64', '2.7-arm64', 'rebuild');
    expect(outcome).toMatchObject({ kind: 'recorded', publish: { kind: 'published' } });
    const republished = await status(w);
    expect(await w.registry.resolveTag(repo, '2.7')).toBe(republished.published?.digest);
    expect(republished).toMatchObject({ state: 'published', error: null });
    expect(republished.published?.heldBy).toBeUndefined();
  });

  it('publishing the same revision again (POST …/publish, a restore) skips the put and records what holds the tag', async () => {
    const w = world();
    await published(w);
    const soci = await sociEnable(w, '2.7');
    const puts = w.registry.puts.length;
    const outcome = await publishVersion(w.deps, repo, '2.7', { revision: 2, force: true });
    expect(outcome).toMatchObject({ kind: 'published' });
    expect(w.registry.puts.length).toBe(puts);
    expect(await w.registry.resolveTag(repo, '2.7')).toBe(soci);
  });

  it('classifyTagHolder: absent, ours, and an unreadable manifest is foreign', async () => {
    const w = world();
    const ours = await published(w);
    const record = (await w.store.getVersion({ repository: repo, version: '2.7' }))!;
    const images = Object.values(record.images);
    expect(await classifyTagHolder(w.registry, repo, 'nope', { digest: ours, images })).toEqual({ kind: 'absent' });
    expect(await classifyTagHolder(w.registry, repo, '2.7', { digest: ours, images })).toEqual({ kind: 'ours' });
    const junk = w.registry.storeManifest(repo, '{"schemaVersion": 1}', MediaTypes.ociManifest, 'junk').digest;
    expect(await classifyTagHolder(w.registry, repo, 'junk', { digest: ours, images })).toEqual({ kind: 'foreign', digest: junk });
  });
});

describe('tagMutability: immutable', () => {
  it('publishes once; a rebuild afterwards is a conflict naming the tag and what to do, with no put and no retry', async () => {
    const w = countingWorld();
    const first = await published(w, { tagMutability: 'immutable' });
    const puts = w.registry.puts.length;
    expect(puts).toBe(1);
    w.clock.advance(60_000);

    const rebuilt = await push(w, 'linux/arm64', '2.7-arm64', 'rebuild');

    expect(rebuilt).toMatchObject({ kind: 'recorded', publish: { kind: 'conflict' } });
    const message = (rebuilt as { publish: { message: string } }).publish.message;
    expect(message).toContain(`version 2.7 was published as ${first} under 2.7`);
    expect(message).toContain('2.7-arm64 (linux/arm64)');
    expect(message).toContain('new version');
    expect(w.registry.puts.length).toBe(puts);
    expect(await w.registry.resolveTag(repo, '2.7')).toBe(first);
    expect(await status(w)).toMatchObject({ state: 'conflict', error: message, published: { digest: first } });

    // The reconciler leaves it to a person: no put, no write.
    w.writes.length = 0;
    const report = await reconcileRepository(w.deps, repo);
    expect(report).toMatchObject({ published: [], drift: [], failures: [] });
    expect(w.writes).toEqual([]);
    expect(w.registry.puts.length).toBe(puts);

    // Pushing the published image back settles it: same index, already under the tag.
    await push(w, 'linux/arm64', '2.7-arm64');
    expect(await status(w)).toMatchObject({ state: 'published', error: null, published: { digest: first } });
    expect(w.registry.puts.length).toBe(puts);
  });

  it('a new version publishes as usual', async () => {
    const w = world();
    await published(w, { tagMutability: 'immutable' });
    await push(w, 'linux/amd64', '2.8-amd64', 'b2');
    expect(await push(w, 'linux/arm64', '2.8-arm64', 'b2')).toMatchObject({ publish: { kind: 'published' } });
  });

  it('cannot be combined with onStale: publish-partial, which republishes', () => {
    expect(() => config({ tagMutability: 'immutable', onStale: 'publish-partial', staleAfter: '1h' })).toThrow(InvalidInputError);
    expect(() => config({ tagMutability: 'immutable', onStale: 'publish-partial', staleAfter: '1h' })).toThrow(
      /onStale: publish-partial .* tagMutability: immutable/,
    );
    expect(config({ tagMutability: 'immutable' }).tagMutability).toBe('immutable');
    expect(config().tagMutability).toBeUndefined();
  });
});

describe('replication into another region', () => {
  /** Region B's registry receives what region A's holds, byte for byte (the in-memory images are deterministic). */
  function replicateImage(b: World, platform: string, tag: string | undefined): string {
    return b.registry.addImage(repo, { platform, ...(tag === undefined ? {} : { tag }) }).manifest.digest;
  }

  it.each([
    ['the index first', ['index', 'amd64', 'arm64']],
    ['the index between the per-arch tags', ['amd64', 'index', 'arm64']],
    ['the index last', ['amd64', 'arm64', 'index']],
  ])('with %s: region B publishes the same bytes, puts nothing over the replicated index, reports no conflict', async (_, order) => {
    const a = world();
    const ours = await published(a, {}, '1.0-rc1');
    const index = a.registry.manifestAt(repo, '1.0-rc1')!;
    const b = world();
    await configure(b);

    for (const step of order) {
      if (step === 'index') {
        replicateImage(b, 'linux/amd64', undefined);
        replicateImage(b, 'linux/arm64', undefined);
        b.registry.storeManifest(repo, index.bytes, index.mediaType, '1.0-rc1');
        // The default pattern reads 1.0-rc1 as version 1.0, platform rc1: it must not be recorded so.
        expect(await recordPush(b.deps, { repository: repo, digest: ours, tag: '1.0-rc1' })).toMatchObject({ kind: 'ignored' });
      } else {
        const tag = `1.0-rc1-${step}`;
        await recordPush(b.deps, { repository: repo, digest: replicateImage(b, `linux/${step}`, tag), tag });
      }
    }

    expect(await b.registry.resolveTag(repo, '1.0-rc1')).toBe(ours);
    expect(await status(b, '1.0-rc1')).toMatchObject({ state: 'published', error: null, published: { digest: ours } });
    expect(await b.store.getVersion({ repository: repo, version: '1.0' })).toBeUndefined();
    expect(b.registry.puts.filter((p) => p.tag === '1.0-rc1').length).toBeLessThanOrEqual(order.at(-1) === 'index' ? 1 : 0);
    expect(await reconcileRepository(b.deps, repo)).toMatchObject({ drift: [], conflicts: [], failures: [], pushesRecovered: [] });
  });

  it('a target tag of a recorded version is never read as a per-arch tag', async () => {
    const w = world();
    await configure(w);
    await push(w, 'linux/amd64', '1.0-rc1-amd64');
    const stranger = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '1.0-rc1', label: 'stranger' }).manifest.digest;
    expect(await recordPush(w.deps, { repository: repo, digest: stranger, tag: '1.0-rc1' })).toEqual({
      kind: 'ignored',
      reason: `${repo}:1.0-rc1 is a target tag of version 1.0-rc1, not a per-arch tag; the reconciler checks what it holds`,
    });
    expect(await w.store.getVersion({ repository: repo, version: '1.0' })).toBeUndefined();
  });

  it('versionsForTargetTag reads each template backwards', () => {
    const c = config({ targetTags: ['{version}', 'v{version}-final', '{version}.{version}'] });
    expect(versionsForTargetTag(c, 'v2.7-final').sort()).toEqual(['2.7', 'v2.7-final']);
    expect(versionsForTargetTag(c, '3.3')).toEqual(['3.3', '3']);
    expect(versionsForTargetTag(config({ targetTags: ['release-{version}'] }), 'latest')).toEqual([]);
  });

  it('a REPLICATE event (ECR Replication Action) is read as a push; anything else of that type is not', () => {
    const replicated = {
      ...ecrPushEvent(repo, `sha256:${'a'.repeat(64)}`, '2.7-amd64'),
      'detail-type': 'ECR Replication Action',
    };
    replicated.detail = {
      ...replicated.detail,
      'action-type': 'REPLICATE',
      'source-region': 'us-west-2',
      'source-account': '123456789012',
    };
    expect(readEcrImageAction(parseEcrImageActionEvent(replicated))).toMatchObject({
      kind: 'push',
      push: { repository: repo, tag: '2.7-amd64' },
    });
    const odd = { ...replicated, detail: { ...replicated.detail, 'action-type': 'PUSH' } };
    expect(readEcrImageAction(parseEcrImageActionEvent(odd))).toEqual({ kind: 'not-a-push', reason: 'action-type PUSH is not REPLICATE' });
    const failed = { ...replicated, detail: { ...replicated.detail, result: 'FAILED' } };
    expect(readEcrImageAction(parseEcrImageActionEvent(failed))).toMatchObject({ kind: 'not-a-push' });
  });
});
