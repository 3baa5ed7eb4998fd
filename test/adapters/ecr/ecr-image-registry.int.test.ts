import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEcrClient, EcrImageRegistry } from '../../../src/adapters/ecr/ecr-image-registry.ts';
import type { RawManifest } from '../../../src/core/descriptor.ts';
import { computeDigest } from '../../../src/core/digest.ts';
import { ErrorCodes } from '../../../src/core/errors.ts';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, MediaTypes } from '../../../src/core/media-types.ts';
import { type EcrDouble, startEcrDouble } from '../../support/ecr-double/ecr-double.ts';
import { type BuiltImage, encodeJson, pushBuildxStyleIndex, pushImage, pushRawManifest } from '../../support/images.ts';
import { rejection } from '../../support/rejection.ts';

// The adapter through the real @aws-sdk/client-ecr over HTTP, against the ECR double, whose every
// byte comes from the real registry of the `int` project.

const registryUrl = inject('registryUrl');
let ecr: EcrDouble;
/** maxAttempts 1: each injected fault reaches the adapter as it is. */
let registry: EcrImageRegistry;

function newRepository(mutability: 'MUTABLE' | 'IMMUTABLE' = 'MUTABLE'): string {
  const name = `ecr-adapter/${randomUUID().slice(0, 8)}`;
  ecr.createRepository(name, { tagMutability: mutability });
  return name;
}

function raw(mediaType: string, bytes: Uint8Array): RawManifest {
  return { mediaType, digest: computeDigest(bytes), size: bytes.byteLength, bytes };
}

function indexOf(...images: BuiltImage[]): RawManifest {
  const manifests = images.map((image) => ({
    mediaType: image.mediaType,
    digest: image.digest,
    size: image.size,
    platform: { architecture: image.platform.architecture, os: image.platform.os },
  }));
  return raw(MediaTypes.ociIndex, encodeJson({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }));
}

async function registryManifest(repository: string, reference: string): Promise<{ status: number; digest: string | null; bytes: Buffer }> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: ACCEPTED_MANIFEST_MEDIA_TYPES.join(', ') },
  });
  return {
    status: response.status,
    digest: response.headers.get('docker-content-digest'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

beforeAll(async () => {
  ecr = await startEcrDouble({ registryUrl });
  registry = new EcrImageRegistry({ client: createEcrClient('us-east-1', { ...ecr.clientConfig(), maxAttempts: 1 }), timeoutMs: 10_000 });
});

afterAll(async () => {
  await ecr.close();
});

describe('EcrImageRegistry.fetchManifest', () => {
  it('returns the exact bytes, digest, size and media type of an image pushed by digest', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, undefined, { arch: 'arm64', format: 'oci' });
    const manifest = await registry.fetchManifest(repository, image.digest);
    expect(manifest).toEqual({
      mediaType: MediaTypes.ociManifest,
      digest: image.digest,
      size: image.size,
      bytes: new Uint8Array(image.bytes),
    });
  });

  it('returns a Docker v2 manifest with its Docker media type', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, 'v1-amd64', { arch: 'amd64', format: 'docker' });
    const manifest = await registry.fetchManifest(repository, image.digest);
    expect(manifest.mediaType).toBe(MediaTypes.dockerManifest);
    expect(Buffer.from(manifest.bytes).equals(Buffer.from(image.bytes))).toBe(true);
  });

  describe('when the digest names an index', () => {
    it('returns the index itself (asking for every manifest and index type), not the amd64 child', async () => {
      const repository = newRepository();
      const index = await pushBuildxStyleIndex(registryUrl, repository, '1.0-amd64', 'amd64');
      const before = ecr.callsTo('BatchGetImage').length;
      const manifest = await registry.fetchManifest(repository, index.digest);
      expect(manifest.mediaType).toBe(MediaTypes.ociIndex);
      expect(manifest.digest).toBe(index.digest);
      expect(Buffer.from(manifest.bytes).equals(Buffer.from(index.bytes))).toBe(true);
      const call = ecr.callsTo('BatchGetImage')[before];
      expect(call?.input.acceptedMediaTypes).toEqual(
        expect.arrayContaining([MediaTypes.ociIndex, MediaTypes.dockerManifestList, MediaTypes.ociManifest, MediaTypes.dockerManifest]),
      );
    });
  });

  it('says not-found (not retryable) for a digest the repository does not hold', async () => {
    const repository = newRepository();
    const missing = computeDigest(Buffer.from('nothing'));
    const error = await rejection(registry.fetchManifest(repository, missing));
    expect(error.code).toBe(ErrorCodes.notFound);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`${repository}@${missing}`);
  });

  it('says not-found naming the repository when ECR has no such repository', async () => {
    const error = await rejection(registry.fetchManifest('ecr-adapter/never-created', computeDigest(Buffer.from('x'))));
    expect(error.code).toBe(ErrorCodes.notFound);
    expect(error.details.ecrError).toBe('RepositoryNotFoundException');
    expect(error.message).toContain('ecr-adapter/never-created');
  });

  it('refuses a manifest whose bytes do not match the digest (digest-mismatch)', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, undefined, { arch: 'amd64', format: 'oci', label: 'corrupt-me' });
    ecr.corruptManifest(image.digest);
    const error = await rejection(registry.fetchManifest(repository, image.digest));
    expect(error.code).toBe(ErrorCodes.digestMismatch);
    expect(error.retryable).toBe(false);
  });
});

describe('EcrImageRegistry.fetchBlob', () => {
  it('downloads the config blob through the pre-signed URL, with no Authorization header', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, undefined, { arch: 'arm', format: 'oci' });
    const bytes = await registry.fetchBlob(repository, image.config, 1024 * 1024);
    expect(Buffer.from(bytes).equals(Buffer.from(image.config.bytes))).toBe(true);
    expect(ecr.blobDownloads.at(-1)).toEqual({ repository, digest: image.config.digest, authorization: undefined, status: 200 });
  });

  it('(the double refuses a download that carries an Authorization header, so the test above can fail)', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, undefined, { arch: 'arm', format: 'oci' });
    const leaky: typeof fetch = (input, init) =>
      fetch(input, { ...init, headers: { authorization: 'AWS4-HMAC-SHA256 Credential=leaked' } });
    const leakyRegistry = new EcrImageRegistry({
      client: createEcrClient('us-east-1', { ...ecr.clientConfig(), maxAttempts: 1 }),
      fetch: leaky,
    });
    const error = await rejection(leakyRegistry.fetchBlob(repository, image.config, 1024 * 1024));
    expect(error.message).toContain('HTTP 400');
    expect(error.message).not.toContain('X-Amz-Signature');
    expect(ecr.blobDownloads.at(-1)?.status).toBe(400);
  });

  it('refuses a blob whose bytes do not match its digest', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, undefined, { arch: 'arm64', format: 'docker', label: 'corrupt-blob' });
    ecr.corruptBlob(image.config.digest);
    const error = await rejection(registry.fetchBlob(repository, image.config, 1024 * 1024));
    expect(error.code).toBe(ErrorCodes.digestMismatch);
  });

  it('refuses a blob larger than maxBytes without downloading it', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, undefined, { arch: 'amd64', format: 'oci' });
    const downloads = ecr.blobDownloads.length;
    const error = await rejection(registry.fetchBlob(repository, image.layer, 1024));
    expect(error.code).toBe(ErrorCodes.tooLarge);
    expect(ecr.blobDownloads.length).toBe(downloads);
  });

  it('stops reading a blob that is longer than its descriptor says', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, undefined, { arch: 'amd64', format: 'oci' });
    const error = await rejection(registry.fetchBlob(repository, { ...image.layer, size: 100 }, 10 * 1024 * 1024));
    expect(error.code).toBe(ErrorCodes.digestMismatch);
    expect(error.message).toContain('longer than the 100 bytes');
  });

  it('says not-found for a blob ECR does not have (LayersNotFoundException)', async () => {
    const repository = newRepository();
    const missing = { mediaType: MediaTypes.ociConfig, digest: computeDigest(Buffer.from('no such config')), size: 14 };
    const error = await rejection(registry.fetchBlob(repository, missing, 1024));
    expect(error.code).toBe(ErrorCodes.notFound);
    expect(error.details.ecrError).toBe('LayersNotFoundException');
  });
});

describe('EcrImageRegistry.resolveTag', () => {
  it('gives the digest a tag points to now', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, '2.0-arm64', { arch: 'arm64', format: 'oci' });
    expect(await registry.resolveTag(repository, '2.0-arm64')).toBe(image.digest);
  });

  it('gives undefined for a tag that does not exist', async () => {
    const repository = newRepository();
    await pushImage(registryUrl, repository, 'exists', { arch: 'arm64', format: 'oci' });
    expect(await registry.resolveTag(repository, 'does-not-exist')).toBeUndefined();
  });

  it('throws not-found when the repository does not exist', async () => {
    const error = await rejection(registry.resolveTag('ecr-adapter/never-created', 'x'));
    expect(error.code).toBe(ErrorCodes.notFound);
  });
});

describe('EcrImageRegistry.putManifest', () => {
  async function twoImages(repository: string): Promise<[BuiltImage, BuiltImage]> {
    return [
      await pushImage(registryUrl, repository, '3.0-amd64', { arch: 'amd64', format: 'oci' }),
      await pushImage(registryUrl, repository, '3.0-arm64', { arch: 'arm64', format: 'oci' }),
    ];
  }

  it('puts the exact index bytes under the tag, sending digest, media type and tag', async () => {
    const repository = newRepository();
    const index = indexOf(...(await twoImages(repository)));
    await registry.putManifest(repository, '3.0', index);
    const stored = await registryManifest(repository, '3.0');
    expect(stored.status).toBe(200);
    expect(stored.digest).toBe(index.digest);
    expect(stored.bytes.equals(Buffer.from(index.bytes))).toBe(true);
    expect(ecr.callsTo('PutImage').at(-1)?.input).toMatchObject({
      repositoryName: repository,
      imageTag: '3.0',
      imageDigest: index.digest,
      imageManifestMediaType: MediaTypes.ociIndex,
    });
  });

  it('succeeds when the same bytes are put under the same tag again (ImageAlreadyExistsException)', async () => {
    const repository = newRepository('IMMUTABLE');
    const index = indexOf(...(await twoImages(repository)));
    await registry.putManifest(repository, '3.0', index);
    await expect(registry.putManifest(repository, '3.0', index)).resolves.toBeUndefined();
    expect(ecr.callsTo('PutImage').at(-1)?.outcome).toBe('ImageAlreadyExistsException');
  });

  it('moves the tag in a mutable repository', async () => {
    const repository = newRepository('MUTABLE');
    const [amd64, arm64] = await twoImages(repository);
    await registry.putManifest(repository, '3.0', indexOf(amd64));
    const both = indexOf(amd64, arm64);
    await registry.putManifest(repository, '3.0', both);
    expect(await registry.resolveTag(repository, '3.0')).toBe(both.digest);
  });

  describe('when an immutable tag already points to another image', () => {
    it('throws tag-immutable, not retryable, with a message a person can act on', async () => {
      const repository = newRepository('IMMUTABLE');
      const [amd64, arm64] = await twoImages(repository);
      await registry.putManifest(repository, '3.0', indexOf(amd64));
      const error = await rejection(registry.putManifest(repository, '3.0', indexOf(amd64, arm64)));
      expect(error.code).toBe(ErrorCodes.tagImmutable);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(`tag 3.0 of ECR repository ${repository}`);
      expect(error.message).toContain('immutable');
      expect(error.message).toContain('publish the version again');
      expect(await registry.resolveTag(repository, '3.0')).toBe(indexOf(amd64).digest);
    });
  });

  it('throws referenced-images-not-found (retryable) when a child is not in the repository', async () => {
    const elsewhere = newRepository();
    const repository = newRepository();
    const [amd64] = await twoImages(repository);
    const foreign = await pushImage(registryUrl, elsewhere, 'x', { arch: 'arm', format: 'oci' });
    const error = await rejection(registry.putManifest(repository, '3.0', indexOf(amd64, foreign)));
    expect(error.code).toBe(ErrorCodes.referencedImagesNotFound);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(foreign.digest);
    expect((await registryManifest(repository, '3.0')).status).toBe(404);
  });

  it('throws digest-mismatch (not retryable) when ECR computes another digest', async () => {
    const repository = newRepository();
    const index = indexOf(...(await twoImages(repository)));
    const error = await rejection(registry.putManifest(repository, '3.0', { ...index, digest: computeDigest(Buffer.from('other')) }));
    expect(error.code).toBe(ErrorCodes.digestMismatch);
    expect(error.retryable).toBe(false);
    expect(error.details.ecrError).toBe('ImageDigestDoesNotMatchException');
  });

  it('puts an index without a top-level mediaType, because it always sends imageManifestMediaType', async () => {
    const repository = newRepository();
    const [amd64] = await twoImages(repository);
    const bare = raw(
      MediaTypes.ociIndex,
      encodeJson({
        schemaVersion: 2,
        manifests: [
          { mediaType: amd64.mediaType, digest: amd64.digest, size: amd64.size, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      }),
    );
    await registry.putManifest(repository, 'bare', bare);
    expect(await registry.resolveTag(repository, 'bare')).toBe(bare.digest);
  });

  it("refuses a manifest over ECR's 4,194,304 characters before calling ECR", async () => {
    const repository = newRepository();
    const big = raw(
      MediaTypes.ociIndex,
      encodeJson({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [], annotations: { pad: 'x'.repeat(4_194_304) } }),
    );
    const calls = ecr.callsTo('PutImage').length;
    const error = await rejection(registry.putManifest(repository, 'big', big));
    expect(error.code).toBe(ErrorCodes.tooLarge);
    expect(ecr.callsTo('PutImage').length).toBe(calls);
  });

  it('throws not-found when the repository does not exist', async () => {
    const error = await rejection(
      registry.putManifest(
        'ecr-adapter/never-created',
        'x',
        raw(MediaTypes.ociIndex, encodeJson({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] })),
      ),
    );
    expect(error.code).toBe(ErrorCodes.notFound);
    expect(error.details.ecrError).toBe('RepositoryNotFoundException');
  });

  describe.each([
    { exception: 'ThrottlingException', code: ErrorCodes.throttled, retryable: true },
    { exception: 'LimitExceededException', code: ErrorCodes.throttled, retryable: true },
    { exception: 'ServerException', code: ErrorCodes.unavailable, retryable: true },
    { exception: 'InvalidParameterException', code: ErrorCodes.invalidInput, retryable: false },
  ])('when ECR answers $exception', ({ exception, code, retryable }) => {
    it(`throws ${code} with retryable ${retryable}`, async () => {
      const repository = newRepository();
      const index = indexOf(...(await twoImages(repository)));
      ecr.failNext('PutImage', exception);
      const error = await rejection(registry.putManifest(repository, '3.0', index));
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(retryable);
      expect(error.details.ecrError).toBe(exception);
    });
  });
});

describe('EcrImageRegistry.listTags', () => {
  it('gives every tag across pages', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, 'a', { arch: 'amd64', format: 'oci' });
    for (const tag of ['b', 'c', 'd', 'e']) await pushRawManifest(registryUrl, repository, tag, image.bytes, image.mediaType);
    ecr.setMaxPageSize(2);
    try {
      const before = ecr.callsTo('ListImages').length;
      expect((await registry.listTags(repository)).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
      const calls = ecr.callsTo('ListImages').slice(before);
      expect(calls).toHaveLength(3);
      expect(calls[0]?.input.filter).toEqual({ tagStatus: 'TAGGED' });
    } finally {
      ecr.setMaxPageSize(1000);
    }
  });

  it('gives an empty list for a repository without tags', async () => {
    const repository = newRepository();
    await pushImage(registryUrl, repository, undefined, { arch: 'amd64', format: 'oci' });
    expect(await registry.listTags(repository)).toEqual([]);
  });
});

describe('createEcrClient', () => {
  it('retries throttling, so a short burst over the PutImage quota still succeeds', async () => {
    const repository = newRepository();
    const [amd64, arm64] = [
      await pushImage(registryUrl, repository, 'r-amd64', { arch: 'amd64', format: 'oci' }),
      await pushImage(registryUrl, repository, 'r-arm64', { arch: 'arm64', format: 'oci' }),
    ];
    const retrying = new EcrImageRegistry({ client: createEcrClient('us-east-1', ecr.clientConfig()) });
    const before = ecr.callsTo('PutImage').length;
    ecr.failNext('PutImage', 'ThrottlingException', { times: 2 });
    await retrying.putManifest(repository, 'r', indexOf(amd64, arm64));
    expect(
      ecr
        .callsTo('PutImage')
        .slice(before)
        .map((call) => call.outcome),
    ).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
  });
});
