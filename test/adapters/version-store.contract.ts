import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.ts';
import { type FloatingPointer, floatingRank } from '../../src/core/floating-pointer.ts';
import { formatPlatform, type Platform } from '../../src/core/platform.ts';
import type { ImagesChange, VersionStore } from '../../src/core/ports.ts';
import type { RepositoryConfig } from '../../src/core/repository-config.ts';
import type { HistoryEntry } from '../../src/core/version-history.ts';
import type { Announcement, PublishedIndex, RecordedImage, VersionError, VersionRecord } from '../../src/core/version-record.ts';

const T0 = '2026-11-27T10:00:00.000Z';
const T1 = '2026-11-27T10:00:01.000Z';
const T2 = '2026-11-27T10:00:02.000Z';
/** The same instants as the ports take them (epoch milliseconds). */
const T0_MS = Date.parse(T0);
const T1_MS = Date.parse(T1);
const T2_MS = Date.parse(T2);
/** The version most cases write. */
const HELLO = { repository: 'hello', version: '2.7' } as const;
const LEASE_MS = 30_000;
const NOW_MS = 1_800_000_000_000;

const digestOf = (n: number | string): string => `sha256:${String(n).padStart(64, '0')}`.slice(0, 71);

const PLATFORMS = {
  amd64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64' },
  armV7: { os: 'linux', architecture: 'arm', variant: 'v7' },
  windows: { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.2227', osFeatures: ['win32k'] },
} as const satisfies Record<string, Platform>;

function image(platform: Platform, overrides: Partial<RecordedImage> = {}): RecordedImage {
  const key = formatPlatform(platform);
  return {
    key,
    platform,
    digest: digestOf(key.length),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 401,
    tag: `2.7-${platform.architecture}`,
    sourceDigest: digestOf(`1${key.length}`),
    pushedAt: T0,
    attestations: [],
    ...overrides,
  };
}

/** An image with everything optional filled in: BuildKit attestation, Windows os.version and features, inherited labels. */
const FULL_IMAGE = image(PLATFORMS.windows, {
  labels: { 'org.opencontainers.image.revision': 'abc123', 'org.opencontainers.image.source': 'https://github.com/example/hello' },
  created: '2026-11-27T09:59:58.123456789Z',
  attestations: [
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: digestOf('abc'),
      size: 839,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.digest': digestOf(7),
        'vnd.docker.reference.type': 'attestation-manifest',
      },
    },
  ],
});

const CONFIG: RepositoryConfig = {
  requiredPlatforms: ['linux/amd64', 'linux/arm64'],
  optionalPlatforms: ['linux/arm/v7', 'windows(10.0.20348)/amd64'],
  tagPattern: '^(?<version>.+)-(?<platform>[^-]+)$',
  targetTags: ['{version}', 'v{version}'],
  indexMediaType: 'oci',
  platformOverrides: { armhf: 'linux/arm/v7', 'x86.64': 'linux/amd64' },
  staleAfter: null,
  onStale: 'wait',
  onDrift: 'report',
  // Keys that are also names on Object.prototype, dots and slashes, an empty and a non-ASCII value.
  annotations: {
    constructor: 'kept as an own key',
    hasOwnProperty: 'x',
    'io.example/team': '',
    'org.opencontainers.image.description': 'Grüße, 世界',
    'org.opencontainers.image.source': 'https://github.com/example/hello',
    toString: 'y',
  },
};

const PUBLISHED: PublishedIndex = {
  digest: digestOf(99),
  mediaType: 'application/vnd.oci.image.index.v1+json',
  size: 512,
  tags: ['2.7', 'v2.7'],
  at: T1,
  revision: 1,
};

const change = (set: RecordedImage[], remove: string[] = []): ImagesChange => ({ set, remove });

/**
 * The behaviour every {@link VersionStore} must have, run against DynamoDbVersionStore (on dynalite)
 * and InMemoryVersionStore, so the fake the use-case tests rely on is proven to be the real thing.
 * `makeStore` gives an empty store for each test.
 */
export function describeVersionStoreContract(name: string, makeStore: () => Promise<VersionStore>): void {
  describe(`${name} (VersionStore contract)`, () => {
    let store: VersionStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    /** Creates hello:2.7 with the amd64 image (revision 1). */
    async function createVersion(repository = 'hello', version = '2.7'): Promise<VersionRecord> {
      const created = await store.updateImages({ repository, version }, change([image(PLATFORMS.amd64)]), {
        expectedRevision: 0,
        now: T0_MS,
      });
      if (created === undefined) throw new Error(`${repository}:${version} existed already`);
      return created;
    }

    describe('repository configs', () => {
      it('gives undefined for a repository without config', async () => {
        expect(await store.getRepositoryConfig('hello')).toBeUndefined();
      });

      it('gives back every field it was given', async () => {
        await store.putRepositoryConfig('team/hello', CONFIG);
        expect(await store.getRepositoryConfig('team/hello')).toStrictEqual(CONFIG);
      });

      it('keeps override keys named like Object.prototype members as ordinary keys', async () => {
        const config: RepositoryConfig = {
          ...CONFIG,
          platformOverrides: { constructor: 'linux/arm64', toString: 'linux/amd64', hasOwnProperty: 'linux/arm/v7' },
        };
        await store.putRepositoryConfig('hello', config);
        const stored = await store.getRepositoryConfig('hello');
        expect(stored).toStrictEqual(config);
        expect(Object.keys(stored?.platformOverrides ?? {})).toStrictEqual(['constructor', 'toString', 'hasOwnProperty']);
      });

      it('replaces a config on a second put', async () => {
        await store.putRepositoryConfig('hello', CONFIG);
        const second: RepositoryConfig = {
          ...CONFIG,
          requiredPlatforms: ['linux/amd64'],
          optionalPlatforms: [],
          platformOverrides: {},
          staleAfter: '6h',
          onStale: 'publish-partial',
          onDrift: 'restore',
        };
        await store.putRepositoryConfig('hello', second);
        expect(await store.getRepositoryConfig('hello')).toStrictEqual(second);
      });

      it('lists every config in repository order', async () => {
        await store.putRepositoryConfig('zeta', CONFIG);
        await store.putRepositoryConfig('team/hello', { ...CONFIG, indexMediaType: 'docker' });
        await store.putRepositoryConfig('hello', { ...CONFIG, indexMediaType: 'auto' });
        await createVersion('other'); // a version item must not show up as a config
        expect(await store.listRepositoryConfigs()).toStrictEqual([
          { repository: 'hello', config: { ...CONFIG, indexMediaType: 'auto' } },
          { repository: 'team/hello', config: { ...CONFIG, indexMediaType: 'docker' } },
          { repository: 'zeta', config: CONFIG },
        ]);
      });

      it('lists nothing when there are no configs', async () => {
        expect(await store.listRepositoryConfigs()).toStrictEqual([]);
      });

      it('deletes a config (true), then has nothing to delete (false), and keeps the versions', async () => {
        await store.putRepositoryConfig('hello', CONFIG);
        const version = await createVersion('hello');
        expect(await store.deleteRepositoryConfig('hello')).toBe(true);
        expect(await store.getRepositoryConfig('hello')).toBeUndefined();
        expect(await store.deleteRepositoryConfig('hello')).toBe(false);
        expect(await store.getVersion(HELLO)).toStrictEqual(version);
      });

      it('does not let a caller change the stored config through the returned object', async () => {
        await store.putRepositoryConfig('hello', CONFIG);
        const got = (await store.getRepositoryConfig('hello')) as unknown as { requiredPlatforms: string[] };
        got.requiredPlatforms.push('linux/s390x');
        expect(await store.getRepositoryConfig('hello')).toStrictEqual(CONFIG);
      });
    });

    describe('updateImages', () => {
      it('creates the record with expectedRevision 0 at revision 1', async () => {
        const created = await store.updateImages(HELLO, change([image(PLATFORMS.amd64), image(PLATFORMS.arm64)], ['linux/s390x']), {
          expectedRevision: 0,
          now: T0_MS,
        });
        const expected: VersionRecord = {
          repository: 'hello',
          version: '2.7',
          revision: 1,
          images: { 'linux/amd64': image(PLATFORMS.amd64), 'linux/arm64': image(PLATFORMS.arm64) },
          createdAt: T0,
          updatedAt: T0,
        };
        expect(created).toStrictEqual(expected);
        expect(await store.getVersion(HELLO)).toStrictEqual(expected);
      });

      it('creates an empty record from an empty change', async () => {
        const created = await store.updateImages(HELLO, change([]), {
          expectedRevision: 0,
          now: T0_MS,
        });
        expect(created).toMatchObject({ revision: 1, images: {} });
      });

      it('gives undefined for expectedRevision 0 when the record exists, and changes nothing', async () => {
        const created = await createVersion();
        expect(
          await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
            expectedRevision: 0,
            now: T1_MS,
          }),
        ).toBeUndefined();
        expect(await store.getVersion(HELLO)).toStrictEqual(created);
      });

      it('gives undefined for a stale revision, and changes nothing', async () => {
        await createVersion();
        const second = await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
        });
        expect(second?.revision).toBe(2);
        expect(
          await store.updateImages(HELLO, change([image(PLATFORMS.armV7)]), {
            expectedRevision: 1,
            now: T2_MS,
          }),
        ).toBeUndefined();
        expect(await store.getVersion(HELLO)).toStrictEqual(second);
      });

      it('gives undefined for a revision of a record that does not exist, and creates nothing', async () => {
        expect(
          await store.updateImages(HELLO, change([image(PLATFORMS.amd64)]), {
            expectedRevision: 3,
            now: T0_MS,
          }),
        ).toBeUndefined();
        expect(await store.getVersion(HELLO)).toBeUndefined();
      });

      it('sets and removes images in one change, bumping revision and updatedAt only', async () => {
        await store.updateImages(HELLO, change([image(PLATFORMS.amd64), image(PLATFORMS.arm64)]), {
          expectedRevision: 0,
          now: T0_MS,
        });
        const rebuilt = image(PLATFORMS.amd64, { digest: digestOf(42), size: 402, pushedAt: T1 });
        const updated = await store.updateImages(HELLO, change([rebuilt, image(PLATFORMS.armV7)], ['linux/arm64']), {
          expectedRevision: 1,
          now: T1_MS,
        });
        const expected: VersionRecord = {
          repository: 'hello',
          version: '2.7',
          revision: 2,
          images: { 'linux/amd64': rebuilt, 'linux/arm/v7': image(PLATFORMS.armV7) },
          createdAt: T0,
          updatedAt: T1,
        };
        expect(updated).toStrictEqual(expected);
        expect(await store.getVersion(HELLO)).toStrictEqual(expected);
      });

      it('treats removing an absent image as nothing to remove', async () => {
        const created = await createVersion();
        const updated = await store.updateImages(HELLO, change([], ['linux/ppc64le']), {
          expectedRevision: 1,
          now: T1_MS,
        });
        expect(updated).toStrictEqual({ ...created, revision: 2, updatedAt: T1 });
      });

      it("keeps platform keys with '(', ')', '.' and '/' apart, and each image exactly as given", async () => {
        await createVersion();
        const updated = await store.updateImages(HELLO, change([FULL_IMAGE, image(PLATFORMS.armV7)]), {
          expectedRevision: 1,
          now: T1_MS,
        });
        expect(Object.keys(updated?.images ?? {}).sort()).toStrictEqual(['linux/amd64', 'linux/arm/v7', 'windows(10.0.20348.2227)/amd64']);
        const stored = await store.getVersion(HELLO);
        expect(stored?.images['windows(10.0.20348.2227)/amd64']).toStrictEqual(FULL_IMAGE);
        // Optional fields that were absent stay absent (not present-but-undefined, not null).
        expect(Object.keys(stored?.images['linux/amd64']?.platform ?? {}).sort()).toStrictEqual(['architecture', 'os']);
        expect(Object.keys(stored?.images['linux/arm/v7']?.platform ?? {}).sort()).toStrictEqual(['architecture', 'os', 'variant']);
        const removed = await store.updateImages(HELLO, change([], ['windows(10.0.20348.2227)/amd64']), {
          expectedRevision: 2,
          now: T2_MS,
        });
        expect(Object.keys(removed?.images ?? {}).sort()).toStrictEqual(['linux/amd64', 'linux/arm/v7']);
      });

      it('refuses a change that names one image key twice, naming the change', async () => {
        await createVersion();
        const twice = store.updateImages(HELLO, change([image(PLATFORMS.arm64)], ['linux/arm64']), {
          expectedRevision: 1,
          now: T1_MS,
        });
        await expect(twice).rejects.toBeInstanceOf(InvalidInputError);
        await expect(twice).rejects.toMatchObject({ field: 'change' });
        expect((await store.getVersion(HELLO))?.revision).toBe(1);
      });

      it('does not let a caller change the stored record through the returned object', async () => {
        const created = await createVersion();
        const got = (await store.getVersion(HELLO)) as unknown as {
          images: Record<string, { size: number }>;
        };
        got.images['linux/amd64']!.size = 1;
        (created as { revision: number }).revision = 7;
        expect((await store.getVersion(HELLO))?.images['linux/amd64']?.size).toBe(401);
        expect((await store.getVersion(HELLO))?.revision).toBe(1);
      });

      it('loses none of 20 concurrent writers that retry on undefined', async () => {
        await store.updateImages(HELLO, change([]), { expectedRevision: 0, now: T0_MS });
        const writers = Array.from({ length: 20 }, (_, i) => image({ os: 'linux', architecture: `arch${i}` }));
        const attempts = await Promise.all(
          writers.map(async (img) => {
            for (let attempt = 1; ; attempt++) {
              const current = await store.getVersion(HELLO);
              const written = await store.updateImages(HELLO, change([img]), {
                expectedRevision: current?.revision ?? 0,
                now: T1_MS,
              });
              if (written !== undefined) return attempt;
            }
          }),
        );
        const final = await store.getVersion(HELLO);
        expect(final?.revision).toBe(21);
        expect(Object.keys(final?.images ?? {}).sort()).toStrictEqual(writers.map((w) => w.key).sort());
        expect(attempts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
      });
    });

    describe('listVersions', () => {
      const VERSIONS = ['1.0', '1.1', '2.0', '2.7', '3.0-rc1'];

      beforeEach(async () => {
        for (const version of [...VERSIONS].reverse()) await createVersion('hello', version);
        await createVersion('hello/sub', '0.1'); // another repository whose name starts the same
        await store.rememberPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(99) }); // not a version
      });

      it('pages through the versions in version order; the last page has no cursor', async () => {
        const first = await store.listVersions('hello', { limit: 2 });
        expect(first.versions.map((v) => v.version)).toStrictEqual(['1.0', '1.1']);
        expect(first.cursor).toEqual(expect.any(String));
        const second = await store.listVersions('hello', { limit: 2, cursor: first.cursor! });
        expect(second.versions.map((v) => v.version)).toStrictEqual(['2.0', '2.7']);
        const third = await store.listVersions('hello', { limit: 2, cursor: second.cursor! });
        expect(third.versions.map((v) => v.version)).toStrictEqual(['3.0-rc1']);
        expect(third.cursor).toBeNull();
      });

      it('gives whole records', async () => {
        const { versions } = await store.listVersions('hello', { limit: 1 });
        expect(versions).toStrictEqual([await store.getVersion({ repository: 'hello', version: '1.0' })]);
      });

      it('gives no cursor when the page holds exactly the rest', async () => {
        const page = await store.listVersions('hello', { limit: VERSIONS.length });
        expect(page.versions.map((v) => v.version)).toStrictEqual(VERSIONS);
        expect(page.cursor).toBeNull();
      });

      it('gives an empty page for a repository without versions', async () => {
        expect(await store.listVersions('nothing', { limit: 10 })).toStrictEqual({ versions: [], cursor: null });
      });

      it.each([
        ['not base64 JSON', 'not-a-cursor!'],
        ['empty', ''],
        ['JSON of the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
      ])('refuses a cursor that is %s, naming cursor', async (_, cursor) => {
        await expect(store.listVersions('hello', { limit: 2, cursor })).rejects.toMatchObject({
          name: 'InvalidInputError',
          field: 'cursor',
        });
      });

      it("refuses another repository's cursor, naming cursor", async () => {
        const { cursor } = await store.listVersions('hello', { limit: 1 });
        await expect(store.listVersions('hello/sub', { limit: 1, cursor: cursor! })).rejects.toMatchObject({ field: 'cursor' });
      });

      it.each([0, -1, 1.5])('refuses limit %s, naming limit', async (limit) => {
        await expect(store.listVersions('hello', { limit })).rejects.toMatchObject({ name: 'InvalidInputError', field: 'limit' });
      });
    });

    describe('acquireLease', () => {
      it('gives undefined for a version that does not exist, and creates nothing', async () => {
        expect(await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS })).toBeUndefined();
        expect(await store.getVersion(HELLO)).toBeUndefined();
      });

      it('takes a free lease and gives the record with it', async () => {
        const created = await createVersion();
        const held = await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(held).toStrictEqual({ ...created, lease: { owner: 'a', until: NOW_MS + LEASE_MS } });
        expect(await store.getVersion(HELLO)).toStrictEqual(held);
      });

      it('refuses another owner while the lease lives, up to and including `until`', async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(await store.acquireLease(HELLO, { owner: 'b', now: NOW_MS + 1, leaseMs: LEASE_MS })).toBeUndefined();
        expect(await store.acquireLease(HELLO, { owner: 'b', now: NOW_MS + LEASE_MS, leaseMs: LEASE_MS })).toBeUndefined();
        expect((await store.getVersion(HELLO))?.lease).toStrictEqual({
          owner: 'a',
          until: NOW_MS + LEASE_MS,
        });
      });

      it('renews for the owner', async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        const renewed = await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS + 1000, leaseMs: LEASE_MS });
        expect(renewed?.lease).toStrictEqual({ owner: 'a', until: NOW_MS + 1000 + LEASE_MS });
      });

      it('lets another owner take it once it has expired', async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        const stolen = await store.acquireLease(HELLO, { owner: 'b', now: NOW_MS + LEASE_MS + 1, leaseMs: LEASE_MS });
        expect(stolen?.lease).toStrictEqual({ owner: 'b', until: NOW_MS + 2 * LEASE_MS + 1 });
        expect(await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS + LEASE_MS + 2, leaseMs: LEASE_MS })).toBeUndefined();
      });

      it('gives the lease to exactly one of 10 concurrent acquirers', async () => {
        await createVersion();
        const owners = Array.from({ length: 10 }, (_, i) => `owner-${i}`);
        const results = await Promise.all(owners.map((owner) => store.acquireLease(HELLO, { owner, now: NOW_MS, leaseMs: LEASE_MS })));
        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        expect((await store.getVersion(HELLO))?.lease).toStrictEqual(winners[0]?.lease);
      });
    });

    describe('recordPublished', () => {
      it('records the publish for the lease owner and keeps the lease', async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        const recorded = await store.recordPublished(HELLO, { owner: 'a', published: PUBLISHED, now: T1_MS });
        expect(recorded).toMatchObject({ published: PUBLISHED, updatedAt: T1, lease: { owner: 'a' }, revision: 1 });
        expect((await store.getVersion(HELLO))?.published).toStrictEqual(PUBLISHED);
      });

      it('gives undefined to anyone else, and records nothing', async () => {
        await createVersion();
        expect(await store.recordPublished(HELLO, { owner: 'a', published: PUBLISHED, now: T1_MS })).toBeUndefined(); // no lease at all
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(await store.recordPublished(HELLO, { owner: 'b', published: PUBLISHED, now: T1_MS })).toBeUndefined();
        expect((await store.getVersion(HELLO))?.published).toBeUndefined();
      });

      it('gives undefined to an owner whose expired lease was taken over', async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        await store.acquireLease(HELLO, { owner: 'b', now: NOW_MS + LEASE_MS + 1, leaseMs: LEASE_MS });
        expect(await store.recordPublished(HELLO, { owner: 'a', published: PUBLISHED, now: T1_MS })).toBeUndefined();
      });

      it('gives undefined for a version that does not exist', async () => {
        expect(await store.recordPublished(HELLO, { owner: 'a', published: PUBLISHED, now: T1_MS })).toBeUndefined();
        expect(await store.getVersion(HELLO)).toBeUndefined();
      });

      it('clears an error of the published revision or older', async () => {
        await createVersion();
        await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
        });
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        await store.recordError(HELLO, { error: { kind: 'failed', message: 'registry 503', at: T1, revision: 1 }, owner: 'a', now: T1_MS });
        const recorded = await store.recordPublished(HELLO, { owner: 'a', published: { ...PUBLISHED, revision: 2 }, now: T2_MS });
        expect(recorded !== undefined && 'error' in recorded).toBe(false);
        expect(await store.getVersion(HELLO)).toStrictEqual(recorded);
      });

      it('keeps an error of a newer revision', async () => {
        await createVersion();
        await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
        });
        const error: VersionError = { kind: 'conflict', message: 'two images claim linux/arm64', at: T1, revision: 2 };
        await store.recordError(HELLO, { error, now: T1_MS });
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        const recorded = await store.recordPublished(HELLO, { owner: 'a', published: { ...PUBLISHED, revision: 1 }, now: T2_MS });
        expect(recorded).toMatchObject({ error, published: { ...PUBLISHED, revision: 1 }, updatedAt: T2 });
      });
    });

    describe('updateImages with a lease', () => {
      const key = HELLO;
      const lease = { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS };

      it('creates the record holding the lease', async () => {
        const created = await store.updateImages(key, change([image(PLATFORMS.amd64)]), {
          expectedRevision: 0,
          now: T0_MS,
          lease,
        });
        expect(created).toMatchObject({ revision: 1, lease: { owner: 'a', until: NOW_MS + LEASE_MS } });
        expect(await store.getVersion(HELLO)).toStrictEqual(created);
      });

      it('records the change and takes the lease in one write', async () => {
        await createVersion();
        const updated = await store.updateImages(key, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
          lease,
        });
        expect(updated).toMatchObject({ revision: 2, lease: { owner: 'a', until: NOW_MS + LEASE_MS } });
        expect(Object.keys(updated?.images ?? {}).sort()).toEqual(['linux/amd64', 'linux/arm64']);
        expect(await store.getVersion(HELLO)).toStrictEqual(updated);
      });

      it.each([
        ['a live lease', NOW_MS],
        ['an expired lease', NOW_MS - 2 * LEASE_MS],
      ])('gives undefined when someone holds %s, and changes nothing', async (_, takenAt) => {
        const created = await createVersion();
        const held = await store.acquireLease(key, { owner: 'b', now: takenAt, leaseMs: LEASE_MS });
        expect(await store.updateImages(key, change([image(PLATFORMS.arm64)]), { expectedRevision: 1, now: T1_MS, lease })).toBeUndefined();
        expect(await store.getVersion(HELLO)).toStrictEqual({ ...created, lease: held?.lease });
      });

      it('gives undefined for a stale revision, and takes no lease', async () => {
        await createVersion();
        expect(await store.updateImages(key, change([image(PLATFORMS.arm64)]), { expectedRevision: 2, now: T1_MS, lease })).toBeUndefined();
        expect((await store.getVersion(HELLO))?.lease).toBeUndefined();
      });
    });

    describe('completePublish', () => {
      const key = HELLO;
      const claim = { id: 'event-1', revision: 1, order: 3, state: 'sent' as const, until: NOW_MS };

      it('records the publish and, with release, gives the lease up in the same write', async () => {
        await createVersion();
        await store.acquireLease(key, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        const written = await store.completePublish(key, { owner: 'a', published: PUBLISHED, now: T1_MS, release: true });
        expect(written).toMatchObject({ published: PUBLISHED, updatedAt: T1, revision: 1 });
        expect(written !== undefined && 'lease' in written).toBe(false);
        expect(await store.getVersion(HELLO)).toStrictEqual(written);
      });

      it('keeps the lease without release', async () => {
        await createVersion();
        await store.acquireLease(key, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(await store.completePublish(key, { owner: 'a', published: PUBLISHED, now: T1_MS, release: false })).toMatchObject({
          published: PUBLISHED,
          lease: { owner: 'a' },
        });
      });

      it('claims the announcement in the same write', async () => {
        await createVersion();
        await store.acquireLease(key, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        const written = await store.completePublish(key, {
          owner: 'a',
          published: PUBLISHED,
          now: T1_MS,
          release: true,
          announcement: { claim, now: NOW_MS },
        });
        expect(written?.announcement).toStrictEqual(claim);
        // Claimed already: the same claim again fails, and so does the whole write.
        await store.acquireLease(key, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(
          await store.completePublish(key, {
            owner: 'a',
            published: { ...PUBLISHED, at: T2 },
            now: T2_MS,
            release: true,
            announcement: { claim, now: NOW_MS },
          }),
        ).toBeUndefined();
        expect((await store.getVersion(HELLO))?.published).toStrictEqual(PUBLISHED);
      });

      it("gives undefined, and writes nothing, when the revision moved, the lease is someone else's, or an error is newer", async () => {
        await createVersion();
        expect(await store.completePublish(key, { owner: 'a', published: PUBLISHED, now: T1_MS, release: true })).toBeUndefined(); // no lease
        await store.acquireLease(key, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(await store.completePublish(key, { owner: 'b', published: PUBLISHED, now: T1_MS, release: true })).toBeUndefined();
        await store.updateImages(key, change([image(PLATFORMS.arm64)]), { expectedRevision: 1, now: T1_MS });
        expect(await store.completePublish(key, { owner: 'a', published: PUBLISHED, now: T1_MS, release: true })).toBeUndefined(); // revision 2 now
        const after = await store.getVersion(HELLO);
        expect(after?.published).toBeUndefined();
        expect(after?.lease?.owner).toBe('a');
      });

      it('clears an error of the published revision', async () => {
        await createVersion();
        await store.acquireLease(key, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        await store.recordError(HELLO, { error: { kind: 'failed', message: 'registry 503', at: T1, revision: 1 }, owner: 'a', now: T1_MS });
        const written = await store.completePublish(key, { owner: 'a', published: PUBLISHED, now: T2_MS, release: true });
        expect(written !== undefined && 'error' in written).toBe(false);
      });
    });

    describe('readForPush', () => {
      const key = HELLO;

      it('reads nothing into a store that has nothing', async () => {
        expect(await store.readForPush(key, { tag: '2.7-amd64', digest: digestOf(1), targetVersions: ['2.7-amd64'] })).toEqual({
          record: undefined,
          targets: new Map(),
          publishedByUs: false,
          history: { sequence: 0, entries: [] },
          rememberedTargetTags: new Set(),
        });
      });

      it('reads the record, the target versions that exist, whether the digest is ours, and the history, at once', async () => {
        const record = await createVersion();
        const target = await createVersion('hello', '2.7-amd64');
        await createVersion('other', '2.7-rc1');
        await store.rememberPublishedTag({ repository: 'hello', tag: '2.7-amd64', digest: digestOf(7) });
        const history = { sequence: 1, entries: [{ id: 'push:x', kind: 'push-recorded' as const, at: T0, sequence: 1 }] };
        expect(await store.putHistory(HELLO, { history, expectedSequence: 0 })).toBe(true);
        await store.rememberPublishedTag({ repository: 'hello', tag: '2.7-index', digest: digestOf(9) });
        const read = await store.readForPush(key, {
          tag: '2.7-amd64',
          digest: digestOf(7),
          targetVersions: ['2.7-amd64', '2.7-rc1', '2.7'],
          targetTags: ['2.7-index', '2.7-other'],
        });
        expect(read).toEqual({
          record,
          targets: new Map([['2.7-amd64', target]]),
          publishedByUs: true,
          history,
          rememberedTargetTags: new Set(['2.7-index']),
        });
        expect((await store.readForPush(key, { tag: '2.7-amd64', digest: digestOf(8), targetVersions: [] })).publishedByUs).toBe(false);
      });
    });

    describe('releaseLease', () => {
      it("gives 'released' and frees the lease for others", async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(await store.releaseLease(HELLO, { owner: 'a', expectedRevision: 1 })).toBe('released');
        const after = await store.getVersion(HELLO);
        expect(after !== undefined && 'lease' in after).toBe(false);
        expect(await store.acquireLease(HELLO, { owner: 'b', now: NOW_MS + 1, leaseMs: LEASE_MS })).toBeDefined();
      });

      it("gives 'revision-moved' when the images changed meanwhile, and keeps the lease", async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
        });
        expect(await store.releaseLease(HELLO, { owner: 'a', expectedRevision: 1 })).toBe('revision-moved');
        expect((await store.getVersion(HELLO))?.lease).toStrictEqual({
          owner: 'a',
          until: NOW_MS + LEASE_MS,
        });
        expect(await store.releaseLease(HELLO, { owner: 'a', expectedRevision: 2 })).toBe('released');
      });

      it("gives 'not-held' to an owner who does not hold it, and leaves the holder's lease", async () => {
        await createVersion();
        expect(await store.releaseLease(HELLO, { owner: 'a', expectedRevision: 1 })).toBe('not-held'); // nobody holds it
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(await store.releaseLease(HELLO, { owner: 'b', expectedRevision: 1 })).toBe('not-held');
        await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
        });
        expect(await store.releaseLease(HELLO, { owner: 'b', expectedRevision: 1 })).toBe('not-held'); // not held wins over moved
        expect((await store.getVersion(HELLO))?.lease?.owner).toBe('a');
      });

      it("gives 'not-held' after the lease was taken over, and for a version that does not exist", async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        await store.acquireLease(HELLO, { owner: 'b', now: NOW_MS + LEASE_MS + 1, leaseMs: LEASE_MS });
        expect(await store.releaseLease(HELLO, { owner: 'a', expectedRevision: 1 })).toBe('not-held');
        expect(await store.releaseLease({ repository: 'hello', version: '9.9' }, { owner: 'a', expectedRevision: 1 })).toBe('not-held');
      });
    });

    describe('recordError', () => {
      const failure: VersionError = { kind: 'failed', message: 'PutImage: 503 from the registry', at: T1, revision: 1 };

      it('records the error for the lease owner', async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        const recorded = await store.recordError(HELLO, { error: failure, owner: 'a', now: T1_MS });
        expect(recorded).toMatchObject({ error: failure, updatedAt: T1, lease: { owner: 'a' } });
        expect(await store.getVersion(HELLO)).toStrictEqual(recorded);
      });

      it('gives undefined to an owner who does not hold the lease', async () => {
        await createVersion();
        expect(await store.recordError(HELLO, { error: failure, owner: 'a', now: T1_MS })).toBeUndefined();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(await store.recordError(HELLO, { error: failure, owner: 'b', now: T1_MS })).toBeUndefined();
        expect((await store.getVersion(HELLO))?.error).toBeUndefined();
      });

      it("without an owner, records the error while the revision is still the error's", async () => {
        await createVersion();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS }); // someone else's lease does not matter
        const conflict: VersionError = {
          kind: 'conflict',
          message: '2.7-arm64 and 2.7-aarch64 both claim linux/arm64',
          at: T1,
          revision: 1,
        };
        expect(await store.recordError(HELLO, { error: conflict, now: T1_MS })).toMatchObject({
          error: conflict,
          updatedAt: T1,
        });
      });

      it('without an owner, gives undefined once the revision moved on', async () => {
        await createVersion();
        await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
        });
        expect(await store.recordError(HELLO, { error: failure, now: T2_MS })).toBeUndefined();
        expect((await store.getVersion(HELLO))?.error).toBeUndefined();
      });

      it('gives undefined for a version that does not exist, and creates nothing', async () => {
        expect(await store.recordError(HELLO, { error: failure, now: T1_MS })).toBeUndefined();
        expect(await store.recordError(HELLO, { error: failure, owner: 'a', now: T1_MS })).toBeUndefined();
        expect(await store.getVersion(HELLO)).toBeUndefined();
      });
    });

    describe('published tags', () => {
      it('remembers each digest put under a tag, per repository and tag', async () => {
        expect(await store.isPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(1) })).toBe(false);
        await store.rememberPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(1) });
        await store.rememberPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(2) });
        await store.rememberPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(2) });
        expect(await store.isPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(1) })).toBe(true);
        expect(await store.isPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(2) })).toBe(true);
        expect(await store.isPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(3) })).toBe(false);
        expect(await store.isPublishedTag({ repository: 'hello', tag: '2.8', digest: digestOf(1) })).toBe(false);
        expect(await store.isPublishedTag({ repository: 'team/hello', tag: '2.7', digest: digestOf(1) })).toBe(false);
      });

      it('is not confused with a version of the same name', async () => {
        await createVersion('hello', '2.7');
        expect(await store.isPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(1) })).toBe(false);
        await store.rememberPublishedTag({ repository: 'hello', tag: '2.7', digest: digestOf(1) });
        expect((await store.getVersion(HELLO))?.revision).toBe(1);
      });
    });
    describe('updateImages with clearError', () => {
      it('removes the error in the same write, and only then', async () => {
        await store.updateImages(HELLO, { set: [], remove: [] }, { expectedRevision: 0, now: T2_MS });
        const conflict = {
          kind: 'conflict' as const,
          message: 'two tags claim linux/amd64',
          at: T2,
          revision: 1,
          contested: { tag: '2.7-x86', digest: digestOf(9) },
        };
        expect(await store.recordError(HELLO, { error: conflict, now: T2_MS })).toBeDefined();
        const kept = await store.updateImages(HELLO, { set: [], remove: [] }, { expectedRevision: 1, now: T2_MS });
        expect(kept?.error).toEqual(conflict);
        const cleared = await store.updateImages(HELLO, { set: [], remove: [], clearError: true }, { expectedRevision: 2, now: T2_MS });
        expect(cleared?.error).toBeUndefined();
        expect((await store.getVersion(HELLO))?.error).toBeUndefined();
      });
    });

    describe('announcements', () => {
      const event = {
        id: '7f0c2b1e-9d4a-8c3b-a1e2-3f4a5b6c7d8e',
        outcome: 'published' as const,
        time: T1,
        data: {
          repository: 'hello',
          version: '2.7',
          state: 'published' as const,
          digest: digestOf(99),
          mediaType: 'application/vnd.oci.image.index.v1+json',
          tags: ['2.7'],
          platforms: ['linux/amd64'],
          missingPlatforms: [],
          error: null,
          revision: 1,
        },
      };
      const claim = (overrides: Partial<Announcement> = {}): Announcement => ({
        id: event.id,
        revision: 1,
        order: 11,
        state: 'pending',
        until: NOW_MS + 60_000,
        event,
        ...overrides,
      });

      it('claims an outcome once: the claim is stored with its event, a second claim of it fails', async () => {
        await createVersion();
        expect(await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS })).toBe(true);
        expect((await store.getVersion(HELLO))?.announcement).toEqual(claim());
        expect(await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS + 1 })).toBe(false);
      });

      it('lets anyone take over a pending claim once it has expired, and settles it as sent without its event', async () => {
        await createVersion();
        await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS });
        expect(await store.claimAnnouncement(HELLO, { claim: claim({ until: NOW_MS + 120_000 }), now: NOW_MS + 60_001 })).toBe(true);
        expect(await store.settleAnnouncement(HELLO, { id: event.id, how: 'sent' })).toBe(true);
        const { event: _dropped, ...sent } = claim({ until: NOW_MS + 120_000, state: 'sent' });
        expect((await store.getVersion(HELLO))?.announcement).toEqual(sent);
        expect(await store.claimAnnouncement(HELLO, { claim: claim({ until: NOW_MS + 999_999 }), now: NOW_MS + 999_999 })).toBe(false);
      });

      it('hands a failed claim back (expired at once), so the next claim of it succeeds', async () => {
        await createVersion();
        await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS });
        expect(await store.settleAnnouncement(HELLO, { id: event.id, how: 'retry' })).toBe(true);
        expect((await store.getVersion(HELLO))?.announcement).toEqual(claim({ until: 0 }));
        expect(await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS })).toBe(true);
      });

      it('lets a higher or equal order replace another outcome, never a lower one', async () => {
        await createVersion();
        await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS });
        expect(await store.claimAnnouncement(HELLO, { claim: claim({ id: 'lower', order: 10 }), now: NOW_MS })).toBe(false);
        expect(await store.claimAnnouncement(HELLO, { claim: claim({ id: 'same-order', order: 11 }), now: NOW_MS })).toBe(true);
        expect(await store.claimAnnouncement(HELLO, { claim: claim({ id: 'higher', revision: 2, order: 19 }), now: NOW_MS })).toBe(true);
        expect((await store.getVersion(HELLO))?.announcement?.id).toBe('higher');
      });

      it('settles only the claim it names', async () => {
        await createVersion();
        await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS });
        expect(await store.settleAnnouncement(HELLO, { id: 'another', how: 'sent' })).toBe(false);
        expect((await store.getVersion(HELLO))?.announcement?.state).toBe('pending');
      });

      describe('settled with the lease released in the same write', () => {
        const release = { owner: 'a', expectedRevision: 1 };
        const { event: _dropped, ...sent } = claim({ state: 'sent' });

        it.each([
          { how: 'sent' as const, left: sent },
          { how: 'retry' as const, left: claim({ until: 0 }) },
        ])('settles it ($how) and gives the lease up, only while the owner holds it at the revision', async ({ how, left }) => {
          await createVersion();
          await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
          await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS });
          expect(await store.settleAnnouncement(HELLO, { id: event.id, how, release })).toBe(true);
          const after = await store.getVersion(HELLO);
          expect(after?.announcement).toEqual(left);
          expect(after !== undefined && 'lease' in after).toBe(false);
        });

        it.each([
          { case: 'the images changed meanwhile', id: event.id, release: { owner: 'a', expectedRevision: 0 } },
          { case: 'another owner holds the lease', id: event.id, release: { owner: 'b', expectedRevision: 1 } },
          { case: 'the claim is not this one', id: 'another', release },
        ])('writes nothing when $case', async ({ id, release: asked }) => {
          await createVersion();
          await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
          await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS });
          const before = await store.getVersion(HELLO);
          expect(await store.settleAnnouncement(HELLO, { id, how: 'sent', release: asked })).toBe(false);
          expect(await store.getVersion(HELLO)).toStrictEqual(before);
        });

        it('writes nothing without a lease, and refuses a negative revision', async () => {
          await createVersion();
          await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS });
          expect(await store.settleAnnouncement(HELLO, { id: event.id, how: 'sent', release })).toBe(false);
          expect((await store.getVersion(HELLO))?.announcement?.state).toBe('pending');
          await expect(
            store.settleAnnouncement(HELLO, { id: event.id, how: 'sent', release: { owner: 'a', expectedRevision: -1 } }),
          ).rejects.toThrow(InvalidInputError);
        });
      });

      it('claims nothing on a version that does not exist, and creates nothing', async () => {
        expect(await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS })).toBe(false);
        expect(await store.settleAnnouncement(HELLO, { id: event.id, how: 'sent' })).toBe(false);
        expect(await store.getVersion(HELLO)).toBeUndefined();
      });

      it('keeps the claim through image changes, leases and publishes', async () => {
        await createVersion();
        await store.claimAnnouncement(HELLO, { claim: claim(), now: NOW_MS });
        await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
        });
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        await store.recordPublished(HELLO, { owner: 'a', published: { ...PUBLISHED, revision: 2 }, now: T2_MS });
        expect((await store.getVersion(HELLO))?.announcement).toEqual(claim());
      });
    });

    describe('floating tags', () => {
      const pointer = (tag: string, version: string, revision = 1, digest = digestOf(`${version}#${revision}`)): FloatingPointer => {
        const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number) as [number, number, number];
        return { tag, version, digest, revision, rank: floatingRank({ major, minor, patch }, version, revision) };
      };

      it('claims a tag nobody points yet, and gives the pointer back exactly', async () => {
        expect(await store.getFloatingTag('hello', 'latest')).toBeUndefined();
        expect(await store.claimFloatingTag('hello', pointer('latest', '2.7.1'))).toStrictEqual({ kind: 'claimed' });
        expect(await store.getFloatingTag('hello', 'latest')).toStrictEqual(pointer('latest', '2.7.1'));
      });

      it('moves forward to a higher version, and refuses a lower one, giving the higher pointer', async () => {
        await store.claimFloatingTag('hello', pointer('latest', '2.7.1'));
        expect(await store.claimFloatingTag('hello', pointer('latest', '2.8.0'))).toStrictEqual({ kind: 'claimed' });
        expect(await store.claimFloatingTag('hello', pointer('latest', '2.7.2'))).toStrictEqual({
          kind: 'higher',
          pointer: pointer('latest', '2.8.0'),
        });
        expect(await store.claimFloatingTag('hello', pointer('latest', '2.10.0'))).toStrictEqual({ kind: 'claimed' });
        expect(await store.claimFloatingTag('hello', pointer('latest', '2.9.9'))).toMatchObject({
          kind: 'higher',
          pointer: { version: '2.10.0' },
        });
        expect((await store.getFloatingTag('hello', 'latest'))?.version).toBe('2.10.0');
      });

      it('moves along to a newer revision of the same version and to a republish of the same revision, never back', async () => {
        await store.claimFloatingTag('hello', pointer('2.8', '2.8.0', 2));
        expect(await store.claimFloatingTag('hello', pointer('2.8', '2.8.0', 3))).toStrictEqual({ kind: 'claimed' });
        const republished = pointer('2.8', '2.8.0', 3, digestOf('other bytes'));
        expect(await store.claimFloatingTag('hello', republished)).toStrictEqual({ kind: 'claimed' });
        expect(await store.claimFloatingTag('hello', pointer('2.8', '2.8.0', 2))).toStrictEqual({ kind: 'higher', pointer: republished });
        expect(await store.getFloatingTag('hello', '2.8')).toStrictEqual(republished);
      });

      it("keeps tags and repositories apart, and lists one repository's pointers in tag order", async () => {
        await store.claimFloatingTag('hello', pointer('latest', '2.8.0'));
        await store.claimFloatingTag('hello', pointer('2.7', '2.7.2'));
        await store.claimFloatingTag('hello/sub', pointer('latest', '1.0.0'));
        await createVersion('hello', '2.7'); // a version of the same name is not a pointer
        await store.rememberPublishedTag({ repository: 'hello', tag: 'latest', digest: digestOf(1) }); // nor is a published tag
        expect(await store.listFloatingTags('hello')).toStrictEqual([pointer('2.7', '2.7.2'), pointer('latest', '2.8.0')]);
        expect(await store.listFloatingTags('hello/sub')).toStrictEqual([pointer('latest', '1.0.0')]);
        expect(await store.listFloatingTags('nothing')).toStrictEqual([]);
        expect((await store.listVersions('hello', { limit: 10 })).versions.map((v) => v.version)).toStrictEqual(['2.7']);
        expect(await store.getFloatingTag('hello', '2.8')).toBeUndefined();
      });

      it('lets exactly the highest of 10 concurrent claimants hold the tag', async () => {
        const claims = Array.from({ length: 10 }, (_, i) => pointer('latest', `1.${(i * 7) % 10}.0`));
        const results = await Promise.all(claims.map((p) => store.claimFloatingTag('hello', p)));
        expect(await store.getFloatingTag('hello', 'latest')).toStrictEqual(pointer('latest', '1.9.0'));
        // Whoever was refused was shown a pointer higher than its own.
        results.forEach((result, i) => {
          if (result.kind === 'higher') expect(result.pointer.rank > claims[i]!.rank).toBe(true);
        });
        expect(results[claims.findIndex((p) => p.version === '1.9.0')]).toStrictEqual({ kind: 'claimed' });
      });
    });

    describe('refusals', () => {
      const refusal = (tag: string, n: number, at = T1) => ({
        tag,
        digest: digestOf(n),
        reason: `config of ${tag} has no architecture`,
        at,
      });

      it('creates a record of revision 0 without images when there is none, and lists it', async () => {
        const created = await store.recordRejection(HELLO, { rejection: refusal('2.7-arm64', 1), evict: [], now: T1_MS });
        const want = {
          repository: 'hello',
          version: '2.7',
          revision: 0,
          images: {},
          rejected: { '2.7-arm64': refusal('2.7-arm64', 1) },
          createdAt: T1,
          updatedAt: T1,
        };
        expect(created).toStrictEqual(want);
        expect(await store.getVersion(HELLO)).toStrictEqual(want);
        expect((await store.listVersions('hello', { limit: 10 })).versions).toStrictEqual([want]);
      });

      it('adds to an existing record, keeping its images, revision, lease and error; a tag keeps its latest refusal', async () => {
        const created = await createVersion();
        await store.acquireLease(HELLO, { owner: 'owner-1', now: NOW_MS, leaseMs: LEASE_MS });
        await store.recordRejection(HELLO, { rejection: refusal('2.7-arm64', 1), evict: [], now: T1_MS });
        const updated = await store.recordRejection(HELLO, { rejection: refusal('2.7-arm64', 2, T2), evict: [], now: T2_MS });
        expect(updated).toMatchObject({ revision: 1, images: created.images, lease: { owner: 'owner-1' }, createdAt: T0, updatedAt: T2 });
        expect(updated.rejected).toStrictEqual({ '2.7-arm64': refusal('2.7-arm64', 2, T2) });
      });

      it('evicts the tags it is told to in the same write', async () => {
        await store.recordRejection(HELLO, { rejection: refusal('2.7-a', 1), evict: [], now: T1_MS });
        await store.recordRejection(HELLO, { rejection: refusal('2.7-b', 2), evict: [], now: T1_MS });
        const updated = await store.recordRejection(HELLO, { rejection: refusal('2.7-c', 3), evict: ['2.7-a'], now: T2_MS });
        expect(Object.keys(updated.rejected ?? {}).sort()).toStrictEqual(['2.7-b', '2.7-c']);
      });

      it('lets updateImages with expectedRevision 0 take over a record of only refusals, keeping them and createdAt', async () => {
        await store.recordRejection(HELLO, { rejection: refusal('2.7-arm64', 1), evict: [], now: T0_MS });
        await store.recordRejection(HELLO, { rejection: refusal('2.7-x', 2), evict: [], now: T0_MS });
        const updated = await store.updateImages(
          HELLO,
          { ...change([image(PLATFORMS.amd64)]), clearRejected: ['2.7-x'] },
          { expectedRevision: 0, now: T1_MS },
        );
        expect(updated).toMatchObject({ revision: 1, createdAt: T0, updatedAt: T1, images: { 'linux/amd64': image(PLATFORMS.amd64) } });
        expect(updated?.rejected).toStrictEqual({ '2.7-arm64': refusal('2.7-arm64', 1) });
        expect(await store.updateImages(HELLO, change([]), { expectedRevision: 0, now: T1_MS })).toBeUndefined();
      });

      it('removes a refusal with updateImages clearRejected, in the same write as the images', async () => {
        await createVersion();
        await store.recordRejection(HELLO, { rejection: refusal('2.7-arm64', 1), evict: [], now: T1_MS });
        const updated = await store.updateImages(
          HELLO,
          { ...change([image(PLATFORMS.arm64)]), clearRejected: ['2.7-arm64'] },
          { expectedRevision: 1, now: T2_MS },
        );
        expect(updated?.revision).toBe(2);
        expect(updated?.rejected).toStrictEqual({});
      });

      it('clearRejection removes the refusal only while it is of the digest given', async () => {
        await store.recordRejection(HELLO, { rejection: refusal('2.7-arm64', 1), evict: [], now: T1_MS });
        await store.clearRejection(HELLO, { tag: '2.7-arm64', digest: digestOf(2) });
        expect(Object.keys((await store.getVersion(HELLO))?.rejected ?? {})).toStrictEqual(['2.7-arm64']);
        await store.clearRejection(HELLO, { tag: '2.7-arm64', digest: digestOf(1) });
        expect((await store.getVersion(HELLO))?.rejected).toStrictEqual({});
        await store.clearRejection({ repository: 'hello', version: '2.8' }, { tag: '2.8-arm64', digest: digestOf(1) });
        expect(await store.getVersion({ repository: 'hello', version: '2.8' })).toBeUndefined();
      });

      it('loses none of 10 concurrent refusals of different tags of a new version', async () => {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.recordRejection(HELLO, { rejection: refusal(`2.7-t${i}`, i), evict: [], now: T1_MS })),
        );
        expect(Object.keys((await store.getVersion(HELLO))?.rejected ?? {})).toHaveLength(10);
      });
    });

    describe('checkpoints', () => {
      it('saves, replaces and removes a named resume point', async () => {
        expect(await store.getCheckpoint('reconcile:hello')).toBeUndefined();
        await store.putCheckpoint('reconcile:hello', 'cursor-1');
        await store.putCheckpoint('reconcile:hello', 'cursor-2');
        await store.putCheckpoint('reconcile:team/hello', 'other');
        expect(await store.getCheckpoint('reconcile:hello')).toBe('cursor-2');
        await store.putCheckpoint('reconcile:hello', null);
        expect(await store.getCheckpoint('reconcile:hello')).toBeUndefined();
        expect(await store.getCheckpoint('reconcile:team/hello')).toBe('other');
        expect(await store.listRepositoryConfigs()).toEqual([]);
      });
    });

    describe('history', () => {
      const entry = (sequence: number, overrides: Partial<HistoryEntry> = {}): HistoryEntry => ({
        id: `push:linux/amd64:${digestOf(sequence)}:${T0}`,
        kind: 'push-recorded',
        at: T0,
        sequence,
        platform: 'linux/amd64',
        tag: '2.7-amd64',
        digest: digestOf(sequence),
        eventId: 'e-1',
        ...overrides,
      });

      it('is empty for a version nothing was recorded for', async () => {
        expect(await store.getHistory(HELLO)).toEqual({ sequence: 0, entries: [] });
      });

      it('is created only when none exists, then replaced only by a writer that read the current sequence', async () => {
        const first = { sequence: 1, entries: [entry(1)] };
        expect(await store.putHistory(HELLO, { history: first, expectedSequence: 0 })).toBe(true);
        expect(
          await store.putHistory(HELLO, { history: { sequence: 1, entries: [entry(1, { tag: 'other' })] }, expectedSequence: 0 }),
        ).toBe(false);
        const second = {
          sequence: 3,
          entries: [
            entry(1),
            entry(2),
            entry(3, { kind: 'published', tags: ['2.7', 'latest'], revision: 2, actual: null, missingPlatforms: [] }),
          ],
        };
        expect(await store.putHistory(HELLO, { history: second, expectedSequence: 2 })).toBe(false);
        expect(await store.putHistory(HELLO, { history: second, expectedSequence: 1 })).toBe(true);
        expect(await store.getHistory(HELLO)).toEqual(second);
        expect(await store.putHistory(HELLO, { history: { sequence: 4, entries: [] }, expectedSequence: 1 })).toBe(false);
      });

      it('keeps one history per version, apart from the version records', async () => {
        await createVersion();
        await store.putHistory(HELLO, { history: { sequence: 1, entries: [entry(1)] }, expectedSequence: 0 });
        await store.putHistory(
          { repository: 'team/hello', version: '2.7' },
          { history: { sequence: 1, entries: [entry(1, { tag: 'team' })] }, expectedSequence: 0 },
        );
        expect((await store.getHistory({ repository: 'team/hello', version: '2.7' })).entries[0]?.tag).toBe('team');
        expect((await store.getHistory({ repository: 'hello', version: '2.8' })).sequence).toBe(0);
        expect((await store.listVersions('hello', { limit: 10 })).versions.map((v) => v.version)).toEqual(['2.7']);
      });

      it('goes in the same write as the images, creating the record or updating it, only while its sequence is the one read', async () => {
        const key = HELLO;
        const first = { sequence: 1, entries: [entry(1)] };
        const created = await store.updateImages(key, change([image(PLATFORMS.amd64)]), {
          expectedRevision: 0,
          now: T0_MS,
          history: { history: first, expectedSequence: 0 },
        });
        expect(created).toMatchObject({ revision: 1 });
        expect(created !== undefined && 'history' in created).toBe(false);
        expect(await store.getHistory(HELLO)).toEqual(first);
        expect(await store.getVersion(HELLO)).toStrictEqual(created);
        // A sequence read before another writer appended fails the whole write: images and history stay.
        const stale = { sequence: 1, entries: [entry(1, { tag: 'stale' })] };
        expect(
          await store.updateImages(key, change([image(PLATFORMS.arm64)]), {
            expectedRevision: 1,
            now: T1_MS,
            history: { history: stale, expectedSequence: 0 },
          }),
        ).toBeUndefined();
        expect((await store.getVersion(HELLO))?.revision).toBe(1);
        expect(await store.getHistory(HELLO)).toEqual(first);
        const second = { sequence: 2, entries: [entry(1), entry(2)] };
        expect(
          await store.updateImages(key, change([image(PLATFORMS.arm64)]), {
            expectedRevision: 1,
            now: T1_MS,
            history: { history: second, expectedSequence: 1 },
          }),
        ).toMatchObject({ revision: 2 });
        expect(await store.getHistory(HELLO)).toEqual(second);
        // putHistory appends where the writes do.
        const third = { sequence: 3, entries: [entry(1), entry(2), entry(3)] };
        expect(await store.putHistory(HELLO, { history: third, expectedSequence: 1 })).toBe(false);
        expect(await store.putHistory(HELLO, { history: third, expectedSequence: 2 })).toBe(true);
        expect(await store.getHistory(HELLO)).toEqual(third);
        expect((await store.listVersions('hello', { limit: 10 })).versions[0]).toStrictEqual(await store.getVersion(HELLO));
      });

      it('fails a write of images and history on a stale revision or a held lease, though its sequence is the one read', async () => {
        const first = { sequence: 1, entries: [entry(1)] };
        await store.updateImages(HELLO, change([image(PLATFORMS.amd64)]), {
          expectedRevision: 0,
          now: T0_MS,
          history: { history: first, expectedSequence: 0 },
        });
        const second = { sequence: 2, entries: [entry(1), entry(2)] };
        await store.updateImages(HELLO, change([image(PLATFORMS.arm64)]), {
          expectedRevision: 1,
          now: T1_MS,
          history: { history: second, expectedSequence: 1 },
        });
        const third = { sequence: 3, entries: [entry(1), entry(2), entry(3)] };
        const amd64Again = change([image(PLATFORMS.amd64, { digest: digestOf(9) })]);
        expect(
          await store.updateImages(HELLO, amd64Again, {
            expectedRevision: 1,
            now: T1_MS,
            history: { history: third, expectedSequence: 2 },
          }),
        ).toBeUndefined();
        await store.acquireLease(HELLO, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        expect(
          await store.updateImages(HELLO, amd64Again, {
            expectedRevision: 2,
            now: T1_MS,
            lease: { owner: 'b', now: NOW_MS, leaseMs: LEASE_MS },
            history: { history: third, expectedSequence: 2 },
          }),
        ).toBeUndefined();
        expect((await store.getVersion(HELLO))?.images[image(PLATFORMS.amd64).key]?.digest).not.toBe(digestOf(9));
        expect(await store.getHistory(HELLO)).toEqual(second);
      });

      it('goes in the same write as the publish, only while its sequence is the one read', async () => {
        const key = HELLO;
        await createVersion();
        await store.acquireLease(key, { owner: 'a', now: NOW_MS, leaseMs: LEASE_MS });
        const pushed = { sequence: 1, entries: [entry(1)] };
        expect(await store.putHistory(HELLO, { history: pushed, expectedSequence: 0 })).toBe(true);
        const published = { sequence: 2, entries: [entry(1), entry(2, { kind: 'published', revision: 1 })] };
        expect(
          await store.completePublish(key, {
            owner: 'a',
            published: PUBLISHED,
            now: T1_MS,
            release: false,
            history: { history: published, expectedSequence: 0 },
          }),
        ).toBeUndefined();
        expect((await store.getVersion(HELLO))?.published).toBeUndefined();
        expect(await store.getHistory(HELLO)).toEqual(pushed);
        expect(
          await store.completePublish(key, {
            owner: 'a',
            published: PUBLISHED,
            now: T1_MS,
            release: true,
            history: { history: published, expectedSequence: 1 },
          }),
        ).toMatchObject({ published: PUBLISHED });
        expect(await store.getHistory(HELLO)).toEqual(published);
      });
    });
  });
}
