import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OciHttpImageRegistry } from '../../../src/adapters/oci-http/oci-http-image-registry.ts';
import type { RawManifest } from '../../../src/core/descriptor.ts';
import { computeDigest } from '../../../src/core/digest.ts';
import { ErrorCodes } from '../../../src/core/errors.ts';
import { MediaTypes } from '../../../src/core/media-types.ts';
import { htpasswdLine } from '../../support/htpasswd.ts';
import { encodeJson, pushBlob, pushBuildxStyleIndex, pushImage, pushRawManifest } from '../../support/images.ts';
import { type RunningRegistry, startRegistry } from '../../support/registry-process.ts';
import { rejection } from '../../support/rejection.ts';
import { startTokenServer, type TokenServer } from '../../support/token-server.ts';

const registryUrl = inject('registryUrl');
const registry = new OciHttpImageRegistry({ baseUrl: registryUrl });

let counter = 0;
/** A repository of its own for each test, so tests never see each other's tags. */
function uniqueRepository(name: string): string {
  counter += 1;
  return `adapter-${process.pid}-${counter}/${name}`;
}

function rawIndex(value: unknown, mediaType: string = MediaTypes.ociIndex): RawManifest {
  const bytes = encodeJson(value);
  return { mediaType, digest: computeDigest(bytes), size: bytes.length, bytes };
}

describe('OciHttpImageRegistry against the CNCF registry', () => {
  describe('fetchManifest', () => {
    it.each(['oci', 'docker'] as const)('returns the exact bytes and the %s media type of an image manifest', async (format) => {
      const repository = uniqueRepository('app');
      const image = await pushImage(registryUrl, repository, '1.0-amd64', { arch: 'amd64', format });

      const manifest = await registry.fetchManifest(repository, image.digest);

      expect(manifest).toEqual({ mediaType: image.mediaType, digest: image.digest, size: image.size, bytes: new Uint8Array(image.bytes) });
    });

    it('returns an index with its media type', async () => {
      const repository = uniqueRepository('app');
      const index = await pushBuildxStyleIndex(registryUrl, repository, '1.0-arm64', 'arm64');

      const manifest = await registry.fetchManifest(repository, index.digest);

      expect(manifest.mediaType).toBe(MediaTypes.ociIndex);
      expect(Buffer.from(manifest.bytes).equals(Buffer.from(index.bytes))).toBe(true);
    });

    it('returns a Docker manifest list as the registry stores it', async () => {
      const repository = uniqueRepository('app');
      const image = await pushImage(registryUrl, repository, undefined, { arch: 'arm', format: 'docker' });
      // Pretty-printed on purpose: the digest covers these exact bytes, whitespace included.
      const text = JSON.stringify(
        {
          schemaVersion: 2,
          mediaType: MediaTypes.dockerManifestList,
          manifests: [
            {
              mediaType: image.mediaType,
              digest: image.digest,
              size: image.size,
              platform: { architecture: 'arm', os: 'linux', variant: 'v7' },
            },
          ],
        },
        null,
        3,
      );
      const pushed = await pushRawManifest(registryUrl, repository, 'list', text, MediaTypes.dockerManifestList);

      const manifest = await registry.fetchManifest(repository, pushed.digest);

      expect(manifest).toMatchObject({ mediaType: MediaTypes.dockerManifestList, digest: pushed.digest, size: Buffer.byteLength(text) });
      expect(Buffer.from(manifest.bytes).toString('utf8')).toBe(text);
    });

    it('says not-found, naming repository and digest, for a digest the repository does not have', async () => {
      const repository = uniqueRepository('app');
      await pushImage(registryUrl, repository, 'v1', { arch: 'amd64', format: 'oci' });
      const missing = computeDigest(Buffer.from('nothing'));

      const error = await rejection(registry.fetchManifest(repository, missing));

      expect(error).toMatchObject({
        code: ErrorCodes.notFound,
        retryable: false,
        details: { registryCode: 'MANIFEST_UNKNOWN', status: 404 },
      });
      expect(error.message).toContain(`${repository}@${missing}`);
    });

    it('says not-found for a repository that does not exist', async () => {
      const error = await rejection(registry.fetchManifest(uniqueRepository('never-pushed'), computeDigest(Buffer.from('x'))));
      expect(error.code).toBe(ErrorCodes.notFound);
    });

    it.each([
      ['a tag', 'latest'],
      ['a digest of another algorithm', `sha512:${'a'.repeat(128)}`],
      ['a path', '../../etc'],
    ])('refuses %s as the digest without asking the registry', async (_name, reference) => {
      const error = await rejection(registry.fetchManifest('app', reference));
      expect(error.code).toBe(ErrorCodes.invalidInput);
    });

    it('refuses a repository name that is not one', async () => {
      const error = await rejection(registry.fetchManifest('App/../x', computeDigest(Buffer.from('x'))));
      expect(error).toMatchObject({ code: ErrorCodes.invalidInput, details: { repository: 'App/../x' } });
    });
  });

  describe('fetchBlob', () => {
    it('returns the config blob named by a descriptor', async () => {
      const repository = uniqueRepository('app');
      const image = await pushImage(registryUrl, repository, 'v1', { arch: 'arm64', format: 'oci', label: 'blob' });

      const bytes = await registry.fetchBlob(repository, image.config, 1024 * 1024);

      expect(Buffer.from(bytes).equals(Buffer.from(image.config.bytes))).toBe(true);
    });

    it('refuses a blob larger than maxBytes before downloading it', async () => {
      const repository = uniqueRepository('app');
      const image = await pushImage(registryUrl, repository, 'v1', { arch: 'amd64', format: 'oci' });

      const error = await rejection(registry.fetchBlob(repository, image.layer, 1024));

      expect(error).toMatchObject({ code: ErrorCodes.tooLarge, details: { size: image.layer.size, limit: 1024 } });
    });

    it('says digest-mismatch when the blob is not the size the descriptor says', async () => {
      const repository = uniqueRepository('app');
      const pushed = await pushBlob(registryUrl, repository, Buffer.from('{"architecture":"amd64","os":"linux"}'));

      const error = await rejection(registry.fetchBlob(repository, { ...pushed, size: pushed.size + 5 }, 1024));

      expect(error).toMatchObject({ code: ErrorCodes.digestMismatch, details: { expectedSize: pushed.size + 5, actualSize: pushed.size } });
    });

    it('says not-found for a blob the repository does not have', async () => {
      const repository = uniqueRepository('app');
      await pushImage(registryUrl, repository, 'v1', { arch: 'amd64', format: 'oci' });
      const bytes = Buffer.from('absent');

      const error = await rejection(
        registry.fetchBlob(repository, { mediaType: MediaTypes.ociConfig, digest: computeDigest(bytes), size: bytes.length }, 1024),
      );

      expect(error).toMatchObject({ code: ErrorCodes.notFound, details: { registryCode: 'BLOB_UNKNOWN' } });
    });
  });

  describe('resolveTag', () => {
    it('gives the digest the tag points to now, and the new one after a rebuild', async () => {
      const repository = uniqueRepository('app');
      const first = await pushImage(registryUrl, repository, '2.7-amd64', { arch: 'amd64', format: 'oci', label: 'build-1' });
      expect(await registry.resolveTag(repository, '2.7-amd64')).toBe(first.digest);

      const rebuilt = await pushImage(registryUrl, repository, '2.7-amd64', { arch: 'amd64', format: 'oci', label: 'build-2' });

      expect(rebuilt.digest).not.toBe(first.digest);
      expect(await registry.resolveTag(repository, '2.7-amd64')).toBe(rebuilt.digest);
    });

    it('resolves a tag of an index to the index digest', async () => {
      const repository = uniqueRepository('app');
      const index = await pushBuildxStyleIndex(registryUrl, repository, '1.0-amd64', 'amd64');
      expect(await registry.resolveTag(repository, '1.0-amd64')).toBe(index.digest);
    });

    it('gives undefined for a missing tag and for a missing repository', async () => {
      const repository = uniqueRepository('app');
      await pushImage(registryUrl, repository, 'v1', { arch: 'amd64', format: 'oci' });
      expect(await registry.resolveTag(repository, 'v2')).toBeUndefined();
      expect(await registry.resolveTag(uniqueRepository('never-pushed'), 'v1')).toBeUndefined();
    });

    it('refuses a reference that is not a tag', async () => {
      const error = await rejection(registry.resolveTag('app', computeDigest(Buffer.from('x'))));
      expect(error.code).toBe(ErrorCodes.invalidInput);
    });
  });

  describe('putManifest', () => {
    it('puts an index whose exact bytes the tag then serves, and accepts the same put again', async () => {
      const repository = uniqueRepository('app');
      const amd = await pushImage(registryUrl, repository, '2.7-amd64', { arch: 'amd64', format: 'oci' });
      const arm = await pushImage(registryUrl, repository, '2.7-arm64', { arch: 'arm64', format: 'oci' });
      const index = rawIndex({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          { mediaType: amd.mediaType, digest: amd.digest, size: amd.size, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: arm.mediaType, digest: arm.digest, size: arm.size, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      });

      await registry.putManifest(repository, '2.7', index);
      await registry.putManifest(repository, '2.7', index);

      expect(await registry.resolveTag(repository, '2.7')).toBe(index.digest);
      expect(await registry.fetchManifest(repository, index.digest)).toEqual(index);
    });

    it('puts a Docker manifest list with its media type', async () => {
      const repository = uniqueRepository('app');
      const amd = await pushImage(registryUrl, repository, 'v-amd64', { arch: 'amd64', format: 'docker' });
      const list = rawIndex(
        {
          schemaVersion: 2,
          mediaType: MediaTypes.dockerManifestList,
          manifests: [{ mediaType: amd.mediaType, digest: amd.digest, size: amd.size, platform: { architecture: 'amd64', os: 'linux' } }],
        },
        MediaTypes.dockerManifestList,
      );

      await registry.putManifest(repository, 'v', list);

      expect((await registry.fetchManifest(repository, list.digest)).mediaType).toBe(MediaTypes.dockerManifestList);
    });

    it('says referenced-images-not-found (retryable) when a child is not in the repository', async () => {
      const repository = uniqueRepository('app');
      await pushImage(registryUrl, repository, 'v1', { arch: 'amd64', format: 'oci' });
      const absent = computeDigest(Buffer.from('absent child'));
      const index = rawIndex({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [{ mediaType: MediaTypes.ociManifest, digest: absent, size: 400, platform: { architecture: 'amd64', os: 'linux' } }],
      });

      const error = await rejection(registry.putManifest(repository, 'v', index));

      expect(error).toMatchObject({
        code: ErrorCodes.referencedImagesNotFound,
        retryable: true,
        details: { registryCode: 'MANIFEST_BLOB_UNKNOWN' },
      });
      expect(error.message).toContain(`${repository}:v`);
    });

    it('says unsupported-manifest when the registry finds the manifest invalid', async () => {
      const repository = uniqueRepository('app');
      const bytes = Buffer.from('this is not a manifest');
      const error = await rejection(
        registry.putManifest(repository, 'v', {
          mediaType: MediaTypes.ociManifest,
          digest: computeDigest(bytes),
          size: bytes.length,
          bytes,
        }),
      );
      expect(error).toMatchObject({
        code: ErrorCodes.unsupportedManifest,
        retryable: false,
        details: { registryCode: 'MANIFEST_INVALID' },
      });
    });

    it('refuses bytes that do not hash to the digest they come with, before sending them', async () => {
      const repository = uniqueRepository('app');
      const index = rawIndex({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] });
      const error = await rejection(registry.putManifest(repository, 'v', { ...index, digest: computeDigest(Buffer.from('other')) }));
      expect(error.code).toBe(ErrorCodes.digestMismatch);
      expect(await registry.resolveTag(repository, 'v')).toBeUndefined();
    });
  });

  describe('listTags', () => {
    it('lists every tag of a repository', async () => {
      const repository = uniqueRepository('app');
      const tags = ['1.0-amd64', '1.0-arm64', '1.0', 'latest', 'rc-1'];
      for (const tag of tags) await pushImage(registryUrl, repository, tag, { arch: 'amd64', format: 'oci' });

      // distribution 2.8 ignores `n` and returns every tag in one page; paging is tested against a stub.
      expect((await new OciHttpImageRegistry({ baseUrl: registryUrl, tagPageSize: 2 }).listTags(repository)).sort()).toEqual(
        [...tags].sort(),
      );
    });

    it('gives no tags for a repository nobody pushed to', async () => {
      expect(await registry.listTags(uniqueRepository('never-pushed'))).toEqual([]);
    });
  });
});

describe('OciHttpImageRegistry against a registry with htpasswd (Basic) auth', () => {
  let secured: RunningRegistry;
  beforeAll(async () => {
    secured = await startRegistry({ htpasswd: htpasswdLine('ci', 'correct horse') });
  });
  afterAll(() => secured?.stop());

  it('answers the Basic challenge with the credentials for every call', async () => {
    const client = new OciHttpImageRegistry({ baseUrl: secured.url, credentials: { username: 'ci', password: 'correct horse' } });
    const repository = uniqueRepository('private');
    const image = await pushImage(
      { url: secured.url, authorization: `Basic ${Buffer.from('ci:correct horse').toString('base64')}` },
      repository,
      '1-amd64',
      {
        arch: 'amd64',
        format: 'oci',
      },
    );
    const index = rawIndex({
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [{ mediaType: image.mediaType, digest: image.digest, size: image.size, platform: { architecture: 'amd64', os: 'linux' } }],
    });

    await client.putManifest(repository, '1', index);

    expect(await client.resolveTag(repository, '1')).toBe(index.digest);
    expect((await client.fetchManifest(repository, image.digest)).digest).toBe(image.digest);
    expect((await client.fetchBlob(repository, image.config, 4096)).length).toBe(image.config.size);
    expect((await client.listTags(repository)).sort()).toEqual(['1', '1-amd64']);
  });

  it.each([
    ['without credentials', undefined],
    ['with a wrong password', { username: 'ci', password: 'wrong' }],
  ])('says unauthorized %s, and never puts the password in the message', async (_name, credentials) => {
    const client = new OciHttpImageRegistry({ baseUrl: secured.url, credentials });
    const error = await rejection(client.listTags(uniqueRepository('private')));
    expect(error).toMatchObject({ code: ErrorCodes.unauthorized, retryable: false, details: { status: 401 } });
    expect(error.message).not.toContain('wrong');
    expect(JSON.stringify(error.details)).not.toContain('wrong');
  });
});

describe('OciHttpImageRegistry against a registry with token auth', () => {
  let tokens: TokenServer;
  let secured: RunningRegistry;
  beforeAll(async () => {
    tokens = await startTokenServer({ users: { ci: 's3cret' } });
    secured = await startRegistry({
      tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certificatePem: tokens.certificatePem },
    });
  });
  afterAll(async () => {
    await secured?.stop();
    await tokens?.close();
  });

  it('gets a token from the realm for the challenged scope and reuses it until it expires', async () => {
    const client = new OciHttpImageRegistry({ baseUrl: secured.url, credentials: { username: 'ci', password: 's3cret' } });
    const repository = uniqueRepository('tokened');
    const index = rawIndex({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] });
    const before = tokens.requests.length;

    await client.putManifest(repository, 'v1', index);
    await client.putManifest(repository, 'v2', index);
    expect(await client.resolveTag(repository, 'v1')).toBe(index.digest);
    expect(await client.fetchManifest(repository, index.digest)).toEqual(index);
    expect((await client.listTags(repository)).sort()).toEqual(['v1', 'v2']);

    const asked = tokens.requests.slice(before);
    // One token for pull,push serves every later call on the repository.
    expect(asked).toHaveLength(1);
    const url = new URL(asked[0]?.url ?? '', 'http://token');
    expect(url.searchParams.get('service')).toBe(tokens.service);
    // The registry names the actions in no fixed order (push,pull or pull,push).
    const [type, name, actions] = (url.searchParams.get('scope') ?? '').split(':');
    expect({ type, name, actions: actions?.split(',').sort() }).toEqual({
      type: 'repository',
      name: repository,
      actions: ['pull', 'push'],
    });
    expect(asked[0]?.headers.authorization).toBe(`Basic ${Buffer.from('ci:s3cret').toString('base64')}`);
  });

  it('asks for a token anonymously without credentials: pulls work, pushes are unauthorized', async () => {
    const owner = new OciHttpImageRegistry({ baseUrl: secured.url, credentials: { username: 'ci', password: 's3cret' } });
    const anonymous = new OciHttpImageRegistry({ baseUrl: secured.url });
    const repository = uniqueRepository('public');
    const index = rawIndex({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] });
    await owner.putManifest(repository, 'v1', index);
    const before = tokens.requests.length;

    expect(await anonymous.resolveTag(repository, 'v1')).toBe(index.digest);
    const error = await rejection(anonymous.putManifest(repository, 'v2', index));

    expect(error).toMatchObject({ code: ErrorCodes.unauthorized, details: { status: 401, registryCode: 'UNAUTHORIZED' } });
    expect(tokens.requests.slice(before).map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
  });

  it('says unauthorized when the token service refuses the credentials', async () => {
    const client = new OciHttpImageRegistry({ baseUrl: secured.url, credentials: { username: 'ci', password: 'nope-nope' } });
    const error = await rejection(client.listTags(uniqueRepository('tokened')));
    expect(error.code).toBe(ErrorCodes.unauthorized);
    expect(error.message).toContain('credentials refused');
    expect(error.message).not.toContain('nope-nope');
  });
});
