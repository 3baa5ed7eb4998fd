import { randomUUID } from 'node:crypto';
import {
  BatchGetImageCommand,
  ECRClient,
  ImageAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  ImageTagAlreadyExistsException,
  InvalidParameterException,
  PutImageCommand,
  ReferencedImagesNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { computeDigest } from '../../../src/core/digest.ts';
import { buildIndex } from '../../../src/core/index-builder.ts';
import { MediaTypes } from '../../../src/core/media-types.ts';
import { expectValidIndex } from '../expect-valid-index.ts';
import { type BuiltImage, encodeJson, IMAGE_CREATED, pushImage } from '../images.ts';
import { type EcrDouble, startEcrDouble } from './ecr-double.ts';

// The double itself, through the raw SDK: it must answer as ECR documents, or adapter tests against
// it prove nothing. Each case also shows that the SDK maps the double's `__type` to its exception class.

const registryUrl = inject('registryUrl');
let ecr: EcrDouble;
let client: ECRClient;

function newRepository(tagMutability: 'MUTABLE' | 'IMMUTABLE' = 'MUTABLE'): string {
  const name = `ecr-double/${randomUUID().slice(0, 8)}`;
  ecr.createRepository(name, { tagMutability });
  return name;
}

function indexText(children: BuiltImage[], options: { mediaType?: boolean; pad?: number } = {}): string {
  return JSON.stringify({
    schemaVersion: 2,
    ...(options.mediaType === false ? {} : { mediaType: MediaTypes.ociIndex }),
    manifests: children.map((c) => ({
      mediaType: c.mediaType,
      digest: c.digest,
      size: c.size,
      platform: { os: c.platform.os, architecture: c.platform.architecture },
    })),
    ...(options.pad === undefined ? {} : { annotations: { pad: 'x'.repeat(options.pad) } }),
  });
}

async function putError(input: ConstructorParameters<typeof PutImageCommand>[0]): Promise<unknown> {
  return client.send(new PutImageCommand(input)).then(
    () => undefined,
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  ecr = await startEcrDouble({ registryUrl });
  client = new ECRClient({ ...ecr.clientConfig(), maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await ecr.close();
});

describe('ECR double: PutImage', () => {
  it('refuses a manifest without mediaType when imageManifestMediaType is not sent: "Invalid JSON syntax"', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, 'a', { arch: 'amd64', format: 'oci' });
    const error = await putError({ repositoryName: repository, imageTag: 'x', imageManifest: indexText([image], { mediaType: false }) });
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect((error as Error).message).toContain('Invalid JSON syntax');
  });

  it('refuses a manifest over 4,194,304 characters', async () => {
    const repository = newRepository();
    const error = await putError({ repositoryName: repository, imageTag: 'x', imageManifest: indexText([], { pad: 4_194_304 }) });
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect((error as Error).message).toContain('4194304');
  });

  it('refuses an imageDigest that is not the digest of the UTF-8 bytes', async () => {
    const repository = newRepository();
    const error = await putError({
      repositoryName: repository,
      imageTag: 'x',
      imageManifest: indexText([]),
      imageDigest: computeDigest(Buffer.from('other')),
    });
    expect(error).toBeInstanceOf(ImageDigestDoesNotMatchException);
  });

  it('refuses an index whose child is not in the same repository', async () => {
    const other = newRepository();
    const repository = newRepository();
    const foreign = await pushImage(registryUrl, other, 'a', { arch: 'arm64', format: 'oci' });
    const error = await putError({ repositoryName: repository, imageTag: 'x', imageManifest: indexText([foreign]) });
    expect(error).toBeInstanceOf(ReferencedImagesNotFoundException);
    expect((error as Error).message).toContain(`Images with digests '[${foreign.digest}]'`);
  });

  it('refuses a list or an index whose child carries platform.features (aws/containers-roadmap#2439), and takes it without', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, 'a', { arch: 'amd64', format: 'docker' });
    for (const mediaType of [MediaTypes.dockerManifestList, MediaTypes.ociIndex]) {
      const list = (platform: Record<string, unknown>) =>
        JSON.stringify({
          schemaVersion: 2,
          mediaType,
          manifests: [{ mediaType: image.mediaType, digest: image.digest, size: image.size, platform }],
        });
      const error = await putError({
        repositoryName: repository,
        imageTag: 'f',
        imageManifest: list({ architecture: 'amd64', os: 'linux', features: ['sse4'] }),
      });
      expect(error, mediaType).toBeInstanceOf(InvalidParameterException);
      expect((error as Error).message).toContain('platform.features');
      expect(
        await putError({
          repositoryName: repository,
          imageTag: `ok-${mediaType.length}`,
          imageManifest: list({ architecture: 'amd64', os: 'linux' }),
        }),
      ).toBeUndefined();
    }
  });

  it('takes the OCI index manifest-assembler builds with annotations', async () => {
    const repository = newRepository();
    const amd64 = await pushImage(registryUrl, repository, 'a', {
      arch: 'amd64',
      format: 'oci',
      labels: { 'org.opencontainers.image.source': 'https://x' },
    });
    const arm64 = await pushImage(registryUrl, repository, 'b', {
      arch: 'arm64',
      format: 'oci',
      labels: { 'org.opencontainers.image.source': 'https://x' },
    });
    const recorded = [amd64, arm64].map((image) => ({
      key: `linux/${image.platform.architecture}`,
      platform: image.platform,
      digest: image.digest,
      mediaType: image.mediaType,
      size: image.size,
      tag: 'x',
      sourceDigest: image.digest,
      pushedAt: '',
      attestations: [],
      labels: { 'org.opencontainers.image.source': 'https://x' },
      created: IMAGE_CREATED,
    }));
    const { manifest } = buildIndex(recorded, 'auto', { 'com.example.team': 'web' });
    expectValidIndex(manifest);
    expect(new TextDecoder().decode(manifest.bytes)).toContain('"annotations":{"com.example.team":"web"');
    const put = await client.send(
      new PutImageCommand({
        repositoryName: repository,
        imageTag: '1.0',
        imageManifest: new TextDecoder().decode(manifest.bytes),
        imageDigest: manifest.digest,
      }),
    );
    expect(put.image?.imageId?.imageDigest).toBe(manifest.digest);
  });

  it('answers ImageAlreadyExistsException for the same manifest and tag, in any repository', async () => {
    const repository = newRepository();
    const image = await pushImage(registryUrl, repository, 'a', { arch: 'amd64', format: 'oci' });
    await client.send(new PutImageCommand({ repositoryName: repository, imageTag: 'v', imageManifest: indexText([image]) }));
    expect(await putError({ repositoryName: repository, imageTag: 'v', imageManifest: indexText([image]) })).toBeInstanceOf(
      ImageAlreadyExistsException,
    );
  });

  it('refuses to move a tag in an immutable repository, and moves it in a mutable one', async () => {
    const immutable = newRepository('IMMUTABLE');
    const mutable = newRepository('MUTABLE');
    for (const repository of [immutable, mutable]) {
      const image = await pushImage(registryUrl, repository, 'a', { arch: 'amd64', format: 'oci' });
      await client.send(new PutImageCommand({ repositoryName: repository, imageTag: 'v', imageManifest: indexText([]) }));
      const error = await putError({ repositoryName: repository, imageTag: 'v', imageManifest: indexText([image]) });
      if (repository === immutable) expect(error).toBeInstanceOf(ImageTagAlreadyExistsException);
      else expect(error).toBeUndefined();
    }
  });

  it('knows only repositories a test created', async () => {
    expect(await putError({ repositoryName: 'ecr-double/not-created', imageTag: 'x', imageManifest: indexText([]) })).toBeInstanceOf(
      RepositoryNotFoundException,
    );
  });

  it('records every call with its outcome', async () => {
    const repository = newRepository();
    const before = ecr.calls.length;
    await putError({ repositoryName: repository, imageTag: 'x', imageManifest: '{' });
    expect(ecr.calls.slice(before)).toEqual([
      {
        operation: 'PutImage',
        input: { repositoryName: repository, imageTag: 'x', imageManifest: '{' },
        outcome: 'InvalidParameterException',
      },
    ]);
  });
});

describe('ECR double: BatchGetImage', () => {
  it('answers with the linux/amd64 child when an index is asked for without index media types', async () => {
    const repository = newRepository();
    const amd64 = await pushImage(registryUrl, repository, 'a', { arch: 'amd64', format: 'oci' });
    const arm64 = await pushImage(registryUrl, repository, 'b', { arch: 'arm64', format: 'oci' });
    const index = encodeJson(JSON.parse(indexText([arm64, amd64])));
    await client.send(
      new PutImageCommand({ repositoryName: repository, imageTag: 'v', imageManifest: Buffer.from(index).toString('utf8') }),
    );
    const digest = computeDigest(index);
    const narrow = await client.send(
      new BatchGetImageCommand({
        repositoryName: repository,
        imageIds: [{ imageDigest: digest }],
        acceptedMediaTypes: [MediaTypes.ociManifest],
      }),
    );
    expect(narrow.images?.[0]?.imageManifest).toBe(Buffer.from(amd64.bytes).toString('utf8'));
    const wide = await client.send(
      new BatchGetImageCommand({
        repositoryName: repository,
        imageIds: [{ imageDigest: digest }],
        acceptedMediaTypes: [MediaTypes.ociIndex, MediaTypes.ociManifest],
      }),
    );
    expect(wide.images?.[0]?.imageManifest).toBe(Buffer.from(index).toString('utf8'));
    expect(wide.images?.[0]?.imageManifestMediaType).toBe(MediaTypes.ociIndex);
  });

  it('reports a missing image in failures[] as ImageNotFound', async () => {
    const repository = newRepository();
    const digest = computeDigest(Buffer.from('missing'));
    const output = await client.send(new BatchGetImageCommand({ repositoryName: repository, imageIds: [{ imageDigest: digest }] }));
    expect(output.images).toEqual([]);
    expect(output.failures).toEqual([
      { imageId: { imageDigest: digest }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
    ]);
  });
});
