import { beforeEach, describe, expect, it } from 'vitest';
import { UnsupportedManifestError } from '../../src/core/errors.ts';
import { Annotations, MediaTypes } from '../../src/core/media-types.ts';
import { platformToJson } from '../../src/core/platform.ts';
import { isAttestation, type PushToRead, readPushedImages } from '../../src/core/read-push.ts';
import { InMemoryImageRegistry } from '../support/in-memory-image-registry.ts';

const repository = 'team/hello';
const pushedAt = '2026-11-27T10:00:00.000Z';

describe('readPushedImages', () => {
  let registry: InMemoryImageRegistry;
  beforeEach(() => {
    registry = new InMemoryImageRegistry();
  });
  const push = (digest: string, tag: string, override?: string): PushToRead => ({ repository, digest, tag, override, pushedAt });

  describe('an image manifest', () => {
    for (const format of ['oci', 'docker'] as const) {
      it(`reads the ${format} image's platform from its config`, async () => {
        const image = registry.addImage(repository, {
          platform: { os: 'linux', architecture: 'aarch64', variant: 'v8' },
          format,
          tag: '2.7-arm64',
        });
        const read = await readPushedImages(registry, push(image.manifest.digest, '2.7-arm64'));
        expect(read).toEqual({
          images: [
            {
              key: 'linux/arm64',
              platform: { os: 'linux', architecture: 'arm64' },
              digest: image.manifest.digest,
              mediaType: format === 'oci' ? MediaTypes.ociManifest : MediaTypes.dockerManifest,
              size: image.manifest.size,
              tag: '2.7-arm64',
              sourceDigest: image.manifest.digest,
              pushedAt,
              attestations: [],
            },
          ],
          skipped: [],
        });
        expect(registry.calls.fetchBlob).toBe(1);
      });
    }

    it("takes the override instead of the config's platform, and still reads the config's labels", async () => {
      const image = registry.addImage(repository, {
        platform: 'linux/amd64',
        tag: '2.7-armv7',
        labels: { 'org.opencontainers.image.source': 's' },
      });
      const read = await readPushedImages(registry, push(image.manifest.digest, '2.7-armv7', 'linux/arm/v7'));
      expect(read.images.map((i) => i.key)).toEqual(['linux/arm/v7']);
      expect(read.images[0]?.labels).toEqual({ 'org.opencontainers.image.source': 's' });
      expect(registry.calls.fetchBlob).toBe(1);
    });

    it('records the org.opencontainers.image labels and the created time of the config, and nothing else of it', async () => {
      const image = registry.addImage(repository, {
        platform: 'linux/amd64',
        created: '2026-11-27T09:00:00.123456789Z',
        labels: { 'org.opencontainers.image.revision': 'abc', 'org.opencontainers.image.source': 'https://x', maintainer: 'me' },
      });
      const [recorded] = (await readPushedImages(registry, push(image.manifest.digest, '2.7-amd64'))).images;
      expect(recorded?.labels).toStrictEqual({
        'org.opencontainers.image.revision': 'abc',
        'org.opencontainers.image.source': 'https://x',
      });
      expect(recorded?.created).toBe('2026-11-27T09:00:00.123456789Z');
    });

    it('records no labels or created when the config has none, so the record looks as before', async () => {
      const image = registry.addImage(repository, { platform: 'linux/amd64' });
      const [recorded] = (await readPushedImages(registry, push(image.manifest.digest, '2.7-amd64'))).images;
      expect(recorded).not.toHaveProperty('labels');
      expect(recorded).not.toHaveProperty('created');
    });

    it('records an overridden image whose config is not JSON, inheriting nothing, and says why', async () => {
      const blob = registry.storeBlob(repository, 'not json');
      const manifest = registry.storeManifest(
        repository,
        {
          schemaVersion: 2,
          mediaType: MediaTypes.ociManifest,
          config: { mediaType: MediaTypes.ociConfig, digest: blob.digest, size: blob.size },
          layers: [],
        },
        MediaTypes.ociManifest,
      );
      const read = await readPushedImages(registry, push(manifest.digest, '2.7-armv7', 'linux/arm/v7'));
      expect(read.images.map((i) => i.key)).toEqual(['linux/arm/v7']);
      expect(read.images[0]).not.toHaveProperty('labels');
      expect(read.skipped).toEqual([
        expect.stringMatching(/^config sha256:[0-9a-f]+ of sha256:[0-9a-f]+ is not JSON: .*; its labels are not inherited$/),
      ]);
    });

    it('says which labels it left out', async () => {
      const image = registry.addImage(repository, {
        platform: 'linux/amd64',
        labels: { 'org.opencontainers.image.description': 'x'.repeat(2000) },
      });
      const read = await readPushedImages(registry, push(image.manifest.digest, '2.7-amd64'));
      expect(read.images[0]).not.toHaveProperty('labels');
      expect(read.skipped).toEqual([
        `label org.opencontainers.image.description not inherited: longer than 1024 characters (config of ${image.manifest.digest})`,
      ]);
    });

    it('skips an attestation pushed on its own', async () => {
      const image = registry.addImage(repository, { platform: 'linux/amd64', config: { architecture: 'unknown', os: 'unknown' } });
      const read = await readPushedImages(registry, push(image.manifest.digest, '2.7-x'));
      expect(read.images).toEqual([]);
      expect(read.skipped).toEqual([`${image.manifest.digest} is an attestation (platform unknown/unknown)`]);
    });

    const refused: Array<{ name: string; config: Record<string, unknown> | string; wantErr: RegExp }> = [
      { name: 'a config without architecture', config: { os: 'linux' }, wantErr: /has no architecture or os, so its platform is unknown/ },
      { name: 'a config without os', config: { architecture: 'amd64' }, wantErr: /has no architecture or os/ },
      { name: 'a config that is not JSON', config: 'not json', wantErr: /is not JSON/ },
      { name: 'a config with a bad architecture', config: { os: 'linux', architecture: 'x/y' }, wantErr: /architecture "x\/y"/ },
    ];
    for (const { name, config, wantErr } of refused) {
      it(`refuses ${name}`, async () => {
        const blob = registry.storeBlob(repository, config);
        const manifest = registry.storeManifest(
          repository,
          {
            schemaVersion: 2,
            mediaType: MediaTypes.ociManifest,
            config: { mediaType: MediaTypes.ociConfig, digest: blob.digest, size: blob.size },
            layers: [],
          },
          MediaTypes.ociManifest,
        );
        const result = readPushedImages(registry, push(manifest.digest, '2.7-amd64'));
        await expect(result).rejects.toThrow(UnsupportedManifestError);
        await expect(readPushedImages(registry, push(manifest.digest, '2.7-amd64'))).rejects.toThrow(wantErr);
      });
    }

    it('refuses schema 1', async () => {
      const manifest = registry.storeManifest(
        repository,
        { schemaVersion: 1, name: 'hello', tag: '2.7-amd64', fsLayers: [] },
        MediaTypes.dockerSchema1Signed,
      );
      await expect(readPushedImages(registry, push(manifest.digest, '2.7-amd64'))).rejects.toThrow(/schema 1/);
    });
  });

  describe('an index', () => {
    it('gives a buildx index as its image, carrying the attestation', async () => {
      const { index, image, attestation } = registry.addBuildxIndex(repository, {
        platform: 'linux/arm64',
        tag: '2.7-arm64',
        labels: { 'org.opencontainers.image.source': 'https://x' },
        created: '2026-01-01T00:00:00Z',
      });
      const read = await readPushedImages(registry, push(index.digest, '2.7-arm64'));
      expect(read.skipped).toEqual([]);
      expect(read.images).toHaveLength(1);
      expect(read.images[0]).toMatchObject({
        key: 'linux/arm64',
        digest: image.manifest.digest,
        size: image.manifest.size,
        sourceDigest: index.digest,
        tag: '2.7-arm64',
      });
      expect(read.images[0]?.attestations).toEqual([
        {
          mediaType: MediaTypes.ociManifest,
          digest: attestation.digest,
          size: attestation.size,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: {
            [Annotations.referenceDigest]: image.manifest.digest,
            [Annotations.referenceType]: Annotations.attestationManifest,
          },
        },
      ]);
      expect(read.images[0]).toMatchObject({ labels: { 'org.opencontainers.image.source': 'https://x' }, created: '2026-01-01T00:00:00Z' });
      // The attestation is never fetched as if it were an image, nor its config read.
      expect(registry.calls.fetchManifest).toBe(2);
      expect(registry.calls.fetchBlob).toBe(1);
    });

    it("gives every platform of a multi-platform index, taking the child platform and each child's labels from its config", async () => {
      const amd64 = registry.addImage(repository, {
        platform: 'linux/amd64',
        labels: { 'org.opencontainers.image.title': 'amd' },
        created: '2026-01-01T00:00:00Z',
      });
      const arm = registry.addImage(repository, { platform: 'linux/arm/v7', labels: { 'org.opencontainers.image.title': 'arm' } });
      const index = registry.storeManifest(
        repository,
        {
          schemaVersion: 2,
          mediaType: MediaTypes.ociIndex,
          manifests: [amd64, arm].map((i) => ({
            mediaType: i.manifest.mediaType,
            digest: i.manifest.digest,
            size: i.manifest.size,
            platform: platformToJson(i.platform),
          })),
        },
        MediaTypes.ociIndex,
      );
      const read = await readPushedImages(registry, push(index.digest, '2.7-multi'));
      expect(read.images.map((i) => [i.key, i.digest])).toEqual([
        ['linux/amd64', amd64.manifest.digest],
        ['linux/arm/v7', arm.manifest.digest],
      ]);
      expect(read.images.map((i) => [i.labels, i.created])).toEqual([
        [{ 'org.opencontainers.image.title': 'amd' }, '2026-01-01T00:00:00Z'],
        [{ 'org.opencontainers.image.title': 'arm' }, undefined],
      ]);
      expect(registry.calls.fetchBlob).toBe(2);
    });

    it('reads the config of a child without platform, and skips nested indexes', async () => {
      const amd64 = registry.addImage(repository, { platform: 'linux/amd64' });
      const inner = registry.addBuildxIndex(repository, { platform: 'linux/arm64' });
      const index = registry.storeManifest(
        repository,
        {
          schemaVersion: 2,
          mediaType: MediaTypes.ociIndex,
          manifests: [
            { mediaType: amd64.manifest.mediaType, digest: amd64.manifest.digest, size: amd64.manifest.size },
            {
              mediaType: MediaTypes.ociIndex,
              digest: inner.index.digest,
              size: inner.index.size,
              platform: { os: 'linux', architecture: 'arm64' },
            },
          ],
        },
        MediaTypes.ociIndex,
      );
      const read = await readPushedImages(registry, push(index.digest, '2.7-x'));
      expect(read.images.map((i) => i.key)).toEqual(['linux/amd64']);
      expect(read.skipped).toEqual([
        `child ${inner.index.digest} of ${index.digest} has media type ${MediaTypes.ociIndex}, not an image manifest`,
      ]);
    });

    it('applies an override to a single-image index', async () => {
      const { index } = registry.addBuildxIndex(repository, { platform: 'linux/amd64' });
      const read = await readPushedImages(registry, push(index.digest, '2.7-armv7', 'linux/arm/v7'));
      expect(read.images.map((i) => i.key)).toEqual(['linux/arm/v7']);
    });

    const lies: Array<{ name: string; change: Record<string, unknown>; wantErr: RegExp }> = [
      {
        name: 'a child size that is not what the registry holds',
        change: { size: 1 },
        wantErr: /describes child sha256:[0-9a-f]+ as application\/vnd.oci.image.manifest.v1\+json, 1 bytes, but the registry holds/,
      },
      {
        name: 'a child media type that is not what the registry holds',
        change: { mediaType: MediaTypes.dockerManifest },
        wantErr: /as application\/vnd.docker.distribution.manifest.v2\+json/,
      },
    ];
    for (const { name, change, wantErr } of lies) {
      it(`refuses ${name}`, async () => {
        const image = registry.addImage(repository, { platform: 'linux/amd64' });
        const index = registry.storeManifest(
          repository,
          {
            schemaVersion: 2,
            mediaType: MediaTypes.ociIndex,
            manifests: [
              {
                mediaType: image.manifest.mediaType,
                digest: image.manifest.digest,
                size: image.manifest.size,
                platform: platformToJson(image.platform),
                ...change,
              },
            ],
          },
          MediaTypes.ociIndex,
        );
        await expect(readPushedImages(registry, push(index.digest, '2.7-amd64'))).rejects.toThrow(wantErr);
      });
    }

    it('refuses an index with two images of one platform, naming both', async () => {
      const a = registry.addImage(repository, { platform: 'linux/arm64', label: 'a' });
      const b = registry.addImage(repository, { platform: 'linux/arm64/v8', label: 'b' });
      const index = registry.storeManifest(
        repository,
        {
          schemaVersion: 2,
          mediaType: MediaTypes.ociIndex,
          manifests: [a, b].map((i) => ({
            mediaType: i.manifest.mediaType,
            digest: i.manifest.digest,
            size: i.manifest.size,
            platform: platformToJson(i.platform),
          })),
        },
        MediaTypes.ociIndex,
      );
      const result = readPushedImages(registry, push(index.digest, '2.7-arm64'));
      await expect(result).rejects.toThrow(UnsupportedManifestError);
      await expect(readPushedImages(registry, push(index.digest, '2.7-arm64'))).rejects.toThrow(
        new RegExp(`two images of platform linux/arm64: ${a.manifest.digest} and ${b.manifest.digest}`),
      );
    });
  });
});

describe('isAttestation', () => {
  const base = { mediaType: MediaTypes.ociManifest, digest: `sha256:${'a'.repeat(64)}`, size: 1 };
  it('knows BuildKit attestations by annotation or by unknown/unknown', () => {
    expect(isAttestation({ ...base, annotations: { [Annotations.referenceType]: Annotations.attestationManifest } })).toBe(true);
    expect(isAttestation({ ...base, platform: { os: 'unknown', architecture: 'unknown' } })).toBe(true);
    expect(isAttestation({ ...base, platform: { os: 'linux', architecture: 'amd64' } })).toBe(false);
    expect(isAttestation(base)).toBe(false);
  });
});
