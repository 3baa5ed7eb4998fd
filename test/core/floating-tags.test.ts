import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { floatingRank } from '../../src/core/floating-pointer.ts';
import { moveFloatingTags, settleFloatingTag } from '../../src/core/floating-tags.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { publishVersion } from '../../src/core/publish-version.ts';
import { readPushedImages } from '../../src/core/read-push.ts';
import { recordPush } from '../../src/core/record-push.ts';
import { parseSemver } from '../../src/core/semver.ts';
import { config, type World, world } from './fixtures.ts';

const repo = 'hello';
const TARGETS = ['{version}', '{major}.{minor}', 'latest'];

/** Pushes amd64 and arm64 images of `version` (a `label` makes a rebuild) and records them, as the events would. */
async function pushVersion(w: World, version: string, label = 'b1'): Promise<void> {
  const images = [];
  for (const arch of ['amd64', 'arm64']) {
    const tag = `${version}-${arch}`;
    const digest = w.registry.addImage(repo, { platform: `linux/${arch}`, tag, label: `${version} ${label}` }).manifest.digest;
    images.push(...(await readPushedImages(w.registry, { repository: repo, digest, tag, pushedAt: w.clock.iso() })).images);
  }
  const current = await w.store.getVersion({ repository: repo, version });
  const updated = await w.store.updateImages(
    { repository: repo, version: version },
    { set: images, remove: [] },
    { expectedRevision: current?.revision ?? 0, now: w.clock.now() },
  );
  if (updated === undefined) throw new Error('raced');
}

async function publish(w: World, version: string, options: { allowPartial?: boolean } = {}) {
  const record = (await w.store.getVersion({ repository: repo, version }))!;
  return publishVersion(w.deps, repo, version, { revision: record.revision, ...options });
}

async function release(w: World, version: string, label = 'b1'): Promise<string> {
  await pushVersion(w, version, label);
  const outcome = await publish(w, version);
  if (outcome.kind !== 'published') throw new Error(`${version}: ${outcome.kind}`);
  return outcome.digest;
}

describe('floating target tags', () => {
  let w: World;
  beforeEach(async () => {
    w = world();
    await w.store.putRepositoryConfig(repo, config({ targetTags: TARGETS }));
  });

  it('moves latest and 2.8 to 2.8.0 and 2.7 to 2.7.2 when 2.7.1, 2.8.0, 2.7.2 are released in that order', async () => {
    const v271 = await release(w, '2.7.1');
    expect([w.registry.manifestAt(repo, 'latest')?.digest, w.registry.manifestAt(repo, '2.7')?.digest]).toEqual([v271, v271]);
    const v280 = await release(w, '2.8.0');
    const v272 = await release(w, '2.7.2');
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v280);
    expect(w.registry.manifestAt(repo, '2.8')?.digest).toBe(v280);
    expect(w.registry.manifestAt(repo, '2.7')?.digest).toBe(v272);
    expect(w.registry.manifestAt(repo, '2.7.1')?.digest).toBe(v271);
    // Published tags record the exact tags only: the floating ones are the pointers' business.
    expect((await w.store.getVersion({ repository: repo, version: '2.7.2' }))?.published?.tags).toEqual(['2.7.2']);
    expect(await w.store.listFloatingTags(repo)).toMatchObject([
      { tag: '2.7', version: '2.7.2', digest: v272 },
      { tag: '2.8', version: '2.8.0', digest: v280 },
      { tag: 'latest', version: '2.8.0', digest: v280 },
    ]);
    // latest was never put for 2.7.2.
    expect(w.registry.puts.filter((p) => p.tag === 'latest').map((p) => p.digest)).toEqual([v271, v280]);
    expect(w.logger.lines).toContainEqual(
      expect.objectContaining({
        message: 'floating tag stays on a higher version',
        fields: expect.objectContaining({ tag: 'latest', on: '2.8.0' }),
      }),
    );
  });

  it('ignores the push event of its own floating tag put', async () => {
    const digest = await release(w, '1.0.0');
    expect(await recordPush(w.deps, { repository: repo, tag: 'latest', digest })).toMatchObject({ kind: 'ignored' });
  });

  it.each([
    ['a pre-release', '2.9.0-rc1'],
    ['a version that is not semver', '3.0'],
    ['a v-less two-part version', '10'],
  ])('moves no floating tag for %s, but publishes its exact tag', async (_name, version) => {
    const v271 = await release(w, '2.7.1');
    const digest = await release(w, version);
    expect(w.registry.manifestAt(repo, version)?.digest).toBe(digest);
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v271);
    expect((await w.store.listFloatingTags(repo)).map((p) => p.version)).toEqual(['2.7.1', '2.7.1']);
  });

  it('follows a rebuild of the version it points to, and a v-prefixed release', async () => {
    await release(w, '2.8.0');
    const rebuilt = await release(w, '2.8.0', 'b2');
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(rebuilt);
    expect(w.registry.manifestAt(repo, '2.8')?.digest).toBe(rebuilt);
    const v290 = await release(w, 'v2.9.0');
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v290);
    expect(w.registry.manifestAt(repo, '2.9')?.digest).toBe(v290);
  });

  it('does not move floating tags for a partial publish; the complete one moves them', async () => {
    const v100 = await release(w, '1.0.0');
    const tag = '1.1.0-amd64';
    const digest = w.registry.addImage(repo, { platform: 'linux/amd64', tag }).manifest.digest;
    await recordPush(w.deps, { repository: repo, tag, digest });
    const partial = await publish(w, '1.1.0', { allowPartial: true });
    expect(partial.kind).toBe('published');
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v100);
    const armTag = '1.1.0-arm64';
    const armDigest = w.registry.addImage(repo, { platform: 'linux/arm64', tag: armTag }).manifest.digest;
    const complete = await recordPush(w.deps, { repository: repo, tag: armTag, digest: armDigest });
    expect(complete.kind).toBe('recorded');
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(w.registry.manifestAt(repo, '1.1.0')?.digest);
  });

  it('puts nothing when the tags already hold the index (a forced republish)', async () => {
    await release(w, '1.0.0');
    const before = w.registry.calls.putManifest;
    const outcome = await publishVersion(w.deps, repo, '1.0.0', { revision: 1, force: true });
    expect(outcome.kind).toBe('published');
    expect(w.registry.calls.putManifest).toBe(before);
  });

  it('puts the higher index back when a lower put lands after the higher publish finished', async () => {
    await pushVersion(w, '2.7.2');
    await pushVersion(w, '2.8.0');
    // 2.7.2's put of latest is held until 2.8.0 has published completely, then lands.
    let releaseLowerPut: () => void = () => {};
    const lowerHeld = new Promise<void>((resolve) => (releaseLowerPut = resolve));
    let held = false;
    w.registry.beforeCall = async (method, args) => {
      const [, tag, manifest] = args as [string, string, { digest: string }];
      if (method === 'putManifest' && tag === 'latest' && !held && manifest.digest === w.registry.manifestAt(repo, '2.7.2')?.digest) {
        held = true;
        await lowerHeld;
      }
    };
    const lower = publish(w, '2.7.2');
    while (!held) await new Promise((resolve) => setImmediate(resolve));
    const higher = await publish(w, '2.8.0');
    expect(higher.kind).toBe('published');
    const v280 = w.registry.manifestAt(repo, '2.8.0')!.digest;
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v280);
    releaseLowerPut();
    expect((await lower).kind).toBe('published');
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v280);
    expect(w.registry.manifestAt(repo, '2.7')?.digest).toBe(w.registry.manifestAt(repo, '2.7.2')?.digest);
    expect(w.registry.puts.filter((p) => p.tag === 'latest').map((p) => p.digest)).toEqual([
      v280,
      w.registry.manifestAt(repo, '2.7.2')!.digest,
      v280,
    ]);
  });

  it('a publisher refused the claim puts the higher index back when the tag holds its own (an earlier attempt failed)', async () => {
    await pushVersion(w, '2.7.2');
    await pushVersion(w, '2.8.0');
    const v272 = (await publish(w, '2.7.2')).kind === 'published' ? w.registry.manifestAt(repo, '2.7.2')! : undefined;
    await publish(w, '2.8.0');
    const v280 = w.registry.manifestAt(repo, '2.8.0')!.digest;
    // As if 2.7.2's put of latest had landed late and its publisher died before checking the pointer.
    w.registry.tag(repo, 'latest', v272!.digest);
    const cfg = (await w.store.getRepositoryConfig(repo))!;
    const results = await moveFloatingTags(
      w.deps,
      { repository: repo, version: '2.7.2', revision: 1, manifest: v272!, config: cfg },
      (tag, m) => w.registry.putManifest(repo, tag, m),
    );
    expect(results.map((r) => [r.tag, r.outcome, r.pointer.version])).toEqual([
      ['2.7', 'moved', '2.7.2'],
      ['latest', 'stays', '2.8.0'],
    ]);
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v280);
    // A tag holding someone else's index is left to whoever put it.
    w.registry.tag(repo, 'latest', v272!.digest.replace(/.$/, '0'));
    await moveFloatingTags(w.deps, { repository: repo, version: '2.7.2', revision: 1, manifest: v272!, config: cfg }, async () => {
      throw new Error('no put expected');
    });
  });

  it('records a retryable failure when the higher index cannot be fetched, and the retry puts it', async () => {
    await pushVersion(w, '2.7.2');
    const v280 = await release(w, '2.8.0');
    const v272 = await release(w, '2.7.2');
    w.registry.tag(repo, 'latest', v272);
    const pointer = (await w.store.getFloatingTag(repo, 'latest'))!;
    w.registry.failNext('fetchManifest', 1, () => new RegistryError(ErrorCodes.unavailable, 'registry 503', { retryable: true }));
    await expect(settleFloatingTag(w.deps, repo, pointer)).rejects.toMatchObject({ retryable: true });
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v272);
    expect(await settleFloatingTag(w.deps, repo, pointer)).toEqual(pointer);
    expect(w.registry.manifestAt(repo, 'latest')?.digest).toBe(v280);
  });

  it('gives up with a retryable error when the pointer keeps moving', async () => {
    await release(w, '1.0.0');
    const target = (await w.store.getFloatingTag(repo, 'latest'))!;
    w.registry.untag(repo, 'latest');
    let n = 1;
    // Every put is followed by a higher claim (a storm of releases), so the pointer never settles.
    const put = async (tag: string, manifest: Parameters<typeof w.registry.putManifest>[2]) => {
      await w.registry.putManifest(repo, tag, manifest);
      const version = `1.${n++}.0`;
      const index = w.registry.storeManifest(
        repo,
        { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [], annotations: { version } },
        MediaTypes.ociIndex,
      );
      await w.store.claimFloatingTag(repo, {
        tag,
        version,
        digest: index.digest,
        revision: 1,
        rank: floatingRank(parseSemver(version)!, version, 1),
      });
      w.registry.tag(repo, tag, 'sha256:other');
    };
    await expect(settleFloatingTag(w.deps, repo, target, { known: w.registry.manifestAt(repo, '1.0.0')!, put })).rejects.toMatchObject({
      code: 'busy',
      retryable: true,
    });
  });
});
