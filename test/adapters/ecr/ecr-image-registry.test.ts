import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  type ECRServiceException,
  GetDownloadUrlForLayerCommand,
  ImageAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  InvalidParameterException,
  KmsException,
  LayersNotFoundException,
  LimitExceededException,
  ListImagesCommand,
  PutImageCommand,
  ReferencedImagesNotFoundException,
  RepositoryNotFoundException,
  ServerException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcrImageRegistry } from '../../../src/adapters/ecr/ecr-image-registry.ts';
import type { RawManifest } from '../../../src/core/descriptor.ts';
import { computeDigest } from '../../../src/core/digest.ts';
import { type ErrorCode, ErrorCodes, UnsupportedManifestError } from '../../../src/core/errors.ts';
import { MediaTypes } from '../../../src/core/media-types.ts';
import { rejection } from '../../support/rejection.ts';

// Command-level tests: the exact input of each ECR call, and the translation of every error ECR
// documents for it. The same paths run through the real SDK over HTTP in ecr-image-registry.int.test.ts.

const client = new ECRClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const ecr = mockClient(client);
const REPO = 'team/hello';
const REGISTRY_ID = '111122223333';

const indexText = JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] });
const indexBytes = Buffer.from(indexText, 'utf8');
const INDEX: RawManifest = {
  mediaType: MediaTypes.ociIndex,
  digest: computeDigest(indexBytes),
  size: indexBytes.length,
  bytes: new Uint8Array(indexBytes),
};

function registry(options: { fetch?: typeof fetch } = {}): EcrImageRegistry {
  return new EcrImageRegistry({ client, registryId: REGISTRY_ID, ...options });
}

function exception<T extends ECRServiceException>(
  Type: new (options: { message: string; $metadata: object }) => T,
  message = 'ecr says no',
): T {
  return new Type({ message, $metadata: {} });
}

beforeEach(() => {
  ecr.reset();
});

describe('putManifest', () => {
  it('sends the exact bytes as a string, with imageDigest, imageManifestMediaType, imageTag and registryId', async () => {
    ecr.on(PutImageCommand).resolves({});
    await registry().putManifest(REPO, '2.7', INDEX);
    expect(ecr.commandCalls(PutImageCommand).map((call) => call.args[0].input)).toEqual([
      {
        registryId: REGISTRY_ID,
        repositoryName: REPO,
        imageManifest: indexText,
        imageManifestMediaType: MediaTypes.ociIndex,
        imageTag: '2.7',
        imageDigest: INDEX.digest,
      },
    ]);
  });

  it('keeps non-ASCII text and a byte order mark unchanged (the digest covers them)', async () => {
    ecr.on(PutImageCommand).resolves({});
    const text = `\uFEFF{"schemaVersion":2,"mediaType":"${MediaTypes.ociIndex}","manifests":[],"annotations":{"a":"héllo ✓"}}`;
    const bytes = Buffer.from(text, 'utf8');
    await registry().putManifest(REPO, 'v', {
      mediaType: MediaTypes.ociIndex,
      digest: computeDigest(bytes),
      size: bytes.length,
      bytes: new Uint8Array(bytes),
    });
    const sent = ecr.commandCalls(PutImageCommand)[0]?.args[0].input.imageManifest ?? '';
    expect(computeDigest(Buffer.from(sent, 'utf8'))).toBe(computeDigest(bytes));
  });

  it('refuses bytes that are not UTF-8 without calling ECR', async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0x7d]);
    const error = await rejection(
      registry().putManifest(REPO, 'v', { mediaType: MediaTypes.ociIndex, digest: computeDigest(bytes), size: 3, bytes }),
    );
    expect(error.code).toBe(ErrorCodes.invalidInput);
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(0);
  });

  it('treats ImageAlreadyExistsException as success (a replay)', async () => {
    ecr.on(PutImageCommand).rejects(exception(ImageAlreadyExistsException));
    await expect(registry().putManifest(REPO, '2.7', INDEX)).resolves.toBeUndefined();
  });

  const cases: Array<{ name: string; error: () => Error; code: ErrorCode; retryable: boolean }> = [
    {
      name: 'ImageTagAlreadyExistsException',
      error: () => exception(ImageTagAlreadyExistsException),
      code: ErrorCodes.tagImmutable,
      retryable: false,
    },
    {
      name: 'ReferencedImagesNotFoundException',
      error: () => exception(ReferencedImagesNotFoundException),
      code: ErrorCodes.referencedImagesNotFound,
      retryable: true,
    },
    {
      name: 'ImageDigestDoesNotMatchException',
      error: () => exception(ImageDigestDoesNotMatchException),
      code: ErrorCodes.digestMismatch,
      retryable: false,
    },
    {
      name: 'InvalidParameterException',
      error: () => exception(InvalidParameterException),
      code: ErrorCodes.invalidInput,
      retryable: false,
    },
    { name: 'LimitExceededException', error: () => exception(LimitExceededException), code: ErrorCodes.throttled, retryable: true },
    {
      name: 'ThrottlingException',
      error: () =>
        Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
      code: ErrorCodes.throttled,
      retryable: true,
    },
    {
      name: 'RepositoryNotFoundException',
      error: () => exception(RepositoryNotFoundException),
      code: ErrorCodes.notFound,
      retryable: false,
    },
    { name: 'LayersNotFoundException', error: () => exception(LayersNotFoundException), code: ErrorCodes.notFound, retryable: false },
    { name: 'ServerException', error: () => exception(ServerException), code: ErrorCodes.unavailable, retryable: true },
    { name: 'KmsException', error: () => exception(KmsException), code: ErrorCodes.unavailable, retryable: true },
    {
      name: 'AccessDeniedException',
      error: () => Object.assign(new Error('not authorized to perform ecr:PutImage'), { name: 'AccessDeniedException', $fault: 'client' }),
      code: ErrorCodes.denied,
      retryable: false,
    },
    {
      name: 'a network failure',
      error: () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      code: ErrorCodes.unavailable,
      retryable: true,
    },
    {
      name: 'an unknown client fault',
      error: () =>
        Object.assign(new Error('strange'), { name: 'SomethingNewException', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
      code: ErrorCodes.invalidInput,
      retryable: false,
    },
  ];

  describe.each(cases)('when PutImage fails with $name', ({ error, code, retryable }) => {
    it(`throws a RegistryError ${code}, retryable ${retryable}, naming the image and keeping the cause`, async () => {
      const thrown = error();
      ecr.on(PutImageCommand).rejects(thrown);
      const translated = await rejection(registry().putManifest(REPO, '2.7', INDEX));
      expect({ code: translated.code, retryable: translated.retryable }).toEqual({ code, retryable });
      expect(translated.message).toContain(REPO);
      expect(translated.cause).toBe(thrown);
      expect(translated.details).toMatchObject({ repository: REPO, tag: '2.7', digest: INDEX.digest, registryId: REGISTRY_ID });
    });
  });

  it('explains an immutable tag: which tag, which repository, why, and what to do', async () => {
    ecr.on(PutImageCommand).rejects(exception(ImageTagAlreadyExistsException, "The image tag '2.7' already exists"));
    const error = await rejection(registry().putManifest(REPO, '2.7', INDEX));
    expect(error.message).toMatch(
      /^tag 2\.7 of ECR repository team\/hello already points to another image, and the repository's tags are immutable/,
    );
    expect(error.message).toContain('publish under a new tag');
    expect(error.message).toContain("make the repository's tags mutable");
  });
});

describe('fetchManifest', () => {
  function answer(imageManifest: string, imageManifestMediaType?: string) {
    ecr.on(BatchGetImageCommand).resolves({
      images: [{ imageId: { imageDigest: computeDigest(Buffer.from(imageManifest, 'utf8')) }, imageManifest, imageManifestMediaType }],
      failures: [],
    });
  }

  it('asks by digest for every manifest and index media type, with the registryId', async () => {
    answer(indexText, MediaTypes.ociIndex);
    await registry().fetchManifest(REPO, INDEX.digest);
    const input = ecr.commandCalls(BatchGetImageCommand)[0]?.args[0].input;
    expect(input).toEqual({
      registryId: REGISTRY_ID,
      repositoryName: REPO,
      imageIds: [{ imageDigest: INDEX.digest }],
      acceptedMediaTypes: expect.any(Array),
    });
    expect([...(input?.acceptedMediaTypes ?? [])].sort()).toEqual(
      [MediaTypes.dockerManifest, MediaTypes.dockerManifestList, MediaTypes.ociIndex, MediaTypes.ociManifest].sort(),
    );
  });

  it('takes the media type from the JSON when ECR does not report one', async () => {
    answer(indexText, undefined);
    expect((await registry().fetchManifest(REPO, INDEX.digest)).mediaType).toBe(MediaTypes.ociIndex);
  });

  it('refuses a manifest with no media type anywhere', async () => {
    const bare = JSON.stringify({ schemaVersion: 2, manifests: [] });
    answer(bare, undefined);
    await expect(registry().fetchManifest(REPO, computeDigest(Buffer.from(bare)))).rejects.toBeInstanceOf(UnsupportedManifestError);
  });

  it('refuses a manifest over Limits.manifestBytes', async () => {
    const big = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [],
      annotations: { pad: 'é'.repeat(2_100_000) },
    });
    answer(big, MediaTypes.ociIndex);
    const error = await rejection(registry().fetchManifest(REPO, computeDigest(Buffer.from(big))));
    expect(error.code).toBe(ErrorCodes.tooLarge);
  });

  it('refuses bytes whose digest is not the one asked for', async () => {
    ecr.on(BatchGetImageCommand).resolves({
      images: [{ imageId: { imageDigest: INDEX.digest }, imageManifest: `${indexText} `, imageManifestMediaType: MediaTypes.ociIndex }],
    });
    const error = await rejection(registry().fetchManifest(REPO, INDEX.digest));
    expect(error.code).toBe(ErrorCodes.digestMismatch);
    expect(error.details.actualDigest).toBe(computeDigest(Buffer.from(`${indexText} `)));
  });

  describe.each([
    { failureCode: 'ImageNotFound', code: ErrorCodes.notFound, retryable: false },
    { failureCode: 'InvalidImageDigest', code: ErrorCodes.invalidInput, retryable: false },
    { failureCode: 'ImageTagDoesNotMatchDigest', code: ErrorCodes.conflict, retryable: false },
    { failureCode: 'KmsError', code: ErrorCodes.unavailable, retryable: true },
    { failureCode: 'UpstreamTooManyRequests', code: ErrorCodes.throttled, retryable: true },
    { failureCode: 'UpstreamUnavailable', code: ErrorCodes.unavailable, retryable: true },
    { failureCode: 'UpstreamAccessDenied', code: ErrorCodes.denied, retryable: false },
    { failureCode: 'ImageInaccessible', code: ErrorCodes.denied, retryable: false },
    { failureCode: 'SomethingNew', code: ErrorCodes.unavailable, retryable: true },
  ] as const)('when failures[] says $failureCode', ({ failureCode, code, retryable }) => {
    it(`throws ${code}, retryable ${retryable}, naming the image and the failure`, async () => {
      ecr.on(BatchGetImageCommand).resolves({
        images: [],
        failures: [{ imageId: { imageDigest: INDEX.digest }, failureCode: failureCode as never, failureReason: 'because' }],
      });
      const error = await rejection(registry().fetchManifest(REPO, INDEX.digest));
      expect({ code: error.code, retryable: error.retryable }).toEqual({ code, retryable });
      expect(error.message).toContain(`${REPO}@${INDEX.digest}`);
      expect(error.details.ecrError).toBe(failureCode);
    });
  });

  describe.each([
    {
      name: 'RepositoryNotFoundException',
      error: () => exception(RepositoryNotFoundException),
      code: ErrorCodes.notFound,
      retryable: false,
    },
    {
      name: 'InvalidParameterException',
      error: () => exception(InvalidParameterException),
      code: ErrorCodes.invalidInput,
      retryable: false,
    },
    { name: 'ServerException', error: () => exception(ServerException), code: ErrorCodes.unavailable, retryable: true },
  ])('when BatchGetImage fails with $name', ({ error, code, retryable }) => {
    it(`throws ${code}, retryable ${retryable}`, async () => {
      ecr.on(BatchGetImageCommand).rejects(error());
      const translated = await rejection(registry().fetchManifest(REPO, INDEX.digest));
      expect({ code: translated.code, retryable: translated.retryable }).toEqual({ code, retryable });
    });
  });

  it('says not-found when ECR answers with neither an image nor a failure', async () => {
    ecr.on(BatchGetImageCommand).resolves({ images: [], failures: [] });
    expect((await rejection(registry().fetchManifest(REPO, INDEX.digest))).code).toBe(ErrorCodes.notFound);
  });
});

describe('resolveTag', () => {
  it('asks DescribeImages for the tag and gives its digest', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: INDEX.digest, imageTags: ['2.7'] }] });
    expect(await registry().resolveTag(REPO, '2.7')).toBe(INDEX.digest);
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      registryId: REGISTRY_ID,
      repositoryName: REPO,
      imageIds: [{ imageTag: '2.7' }],
    });
  });

  it('gives undefined on ImageNotFoundException', async () => {
    ecr.on(DescribeImagesCommand).rejects(exception(ImageNotFoundException));
    expect(await registry().resolveTag(REPO, 'nope')).toBeUndefined();
  });

  it('throws on anything else', async () => {
    ecr.on(DescribeImagesCommand).rejects(exception(ServerException));
    expect((await rejection(registry().resolveTag(REPO, '2.7'))).code).toBe(ErrorCodes.unavailable);
  });
});

describe('listTags', () => {
  it('follows nextToken with the TAGGED filter and gives each tag once', async () => {
    // The SDK's paginator reuses one input object, so copy each input as it is sent.
    const inputs: unknown[] = [];
    const pages = [
      {
        imageIds: [
          { imageDigest: INDEX.digest, imageTag: 'a' },
          { imageDigest: INDEX.digest, imageTag: 'b' },
        ],
        nextToken: 't1',
      },
      {
        imageIds: [
          { imageDigest: INDEX.digest, imageTag: 'b' },
          { imageDigest: INDEX.digest, imageTag: 'c' },
        ],
      },
    ];
    ecr.on(ListImagesCommand).callsFake((input: object) => {
      inputs.push(JSON.parse(JSON.stringify(input)));
      return pages[inputs.length - 1];
    });
    expect(await registry().listTags(REPO)).toEqual(['a', 'b', 'c']);
    expect(inputs).toEqual([
      { registryId: REGISTRY_ID, repositoryName: REPO, filter: { tagStatus: 'TAGGED' }, maxResults: 1000 },
      { registryId: REGISTRY_ID, repositoryName: REPO, filter: { tagStatus: 'TAGGED' }, maxResults: 1000, nextToken: 't1' },
    ]);
  });

  it('translates RepositoryNotFoundException', async () => {
    ecr.on(ListImagesCommand).rejects(exception(RepositoryNotFoundException));
    expect((await rejection(registry().listTags(REPO))).code).toBe(ErrorCodes.notFound);
  });
});

describe('fetchBlob', () => {
  const config = Buffer.from('{"architecture":"arm64","os":"linux"}');
  const descriptor = { mediaType: MediaTypes.ociConfig, digest: computeDigest(config), size: config.length };
  const SIGNED =
    'https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/abc/def?X-Amz-Security-Token=SECRET&X-Amz-Signature=SIG';

  function fakeFetch(response: () => Response): { fetch: typeof fetch; requests: Array<{ url: string; init: RequestInit | undefined }> } {
    const requests: Array<{ url: string; init: RequestInit | undefined }> = [];
    const fn = (async (url: string | URL | Request, init?: RequestInit) => {
      requests.push({ url: String(url), init });
      return response();
    }) as typeof fetch;
    return { fetch: fn, requests };
  }

  it('asks for the download URL of the digest and GETs it with no headers at all', async () => {
    ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: SIGNED, layerDigest: descriptor.digest });
    const fake = fakeFetch(() => new Response(config));
    const bytes = await registry({ fetch: fake.fetch }).fetchBlob(REPO, descriptor, 1024);
    expect(Buffer.from(bytes).equals(config)).toBe(true);
    expect(ecr.commandCalls(GetDownloadUrlForLayerCommand)[0]?.args[0].input).toEqual({
      registryId: REGISTRY_ID,
      repositoryName: REPO,
      layerDigest: descriptor.digest,
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.url).toBe(SIGNED);
    expect(fake.requests[0]?.init?.headers).toBeUndefined();
  });

  it('keeps the signed query out of error messages', async () => {
    ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: SIGNED });
    const fake = fakeFetch(() => new Response('expired', { status: 403 }));
    const error = await rejection(registry({ fetch: fake.fetch }).fetchBlob(REPO, descriptor, 1024));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('HTTP 403');
    expect(error.message).not.toContain('SECRET');
    expect(error.message).not.toContain('X-Amz');
  });

  it('stops when Content-Length is over maxBytes', async () => {
    ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: SIGNED });
    const fake = fakeFetch(() => new Response(config, { headers: { 'content-length': '999999' } }));
    expect((await rejection(registry({ fetch: fake.fetch }).fetchBlob(REPO, descriptor, 1024))).code).toBe(ErrorCodes.tooLarge);
  });

  it('refuses a body shorter than the descriptor says', async () => {
    ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: SIGNED });
    const fake = fakeFetch(() => new Response(config.subarray(0, 5)));
    expect((await rejection(registry({ fetch: fake.fetch }).fetchBlob(REPO, descriptor, 1024))).code).toBe(ErrorCodes.digestMismatch);
  });

  it('translates a network failure as retryable unavailable', async () => {
    ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: SIGNED });
    const failing = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const error = await rejection(registry({ fetch: failing }).fetchBlob(REPO, descriptor, 1024));
    expect({ code: error.code, retryable: error.retryable }).toEqual({ code: ErrorCodes.unavailable, retryable: true });
  });

  it('translates LayersNotFoundException as not-found', async () => {
    ecr.on(GetDownloadUrlForLayerCommand).rejects(exception(LayersNotFoundException));
    expect((await rejection(registry().fetchBlob(REPO, descriptor, 1024))).code).toBe(ErrorCodes.notFound);
  });
});

describe('repository names', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const longest = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
  const tooLong = `${'a'.repeat(128)}/${'b'.repeat(127)}`;
  it.each<[string, (r: EcrImageRegistry, name: string) => Promise<unknown>]>([
    ['fetchManifest', (r, name) => r.fetchManifest(name, digest)],
    ['fetchBlob', (r, name) => r.fetchBlob(name, { mediaType: MediaTypes.ociConfig, digest, size: 2 }, 1024)],
    ['resolveTag', (r, name) => r.resolveTag(name, '2.7')],
    ['putManifest', (r, name) => r.putManifest(name, '2.7', INDEX)],
    ['listTags', (r, name) => r.listTags(name)],
  ])('%s refuses a 256-character name (the API refuses it too) without calling ECR', async (_operation, call) => {
    ecr.reset();
    const error = await rejection(call(registry(), tooLong));
    expect(error).toMatchObject({ code: ErrorCodes.invalidInput, retryable: false, details: { repository: tooLong } });
    expect(error.message).toContain('2 to 255 characters (this one has 256)');
    expect(ecr.calls()).toHaveLength(0);
  });

  it('passes a 255-character name on to ECR', async () => {
    ecr.reset();
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: digest, imageTags: ['2.7'] }] });
    expect(await registry().resolveTag(longest, '2.7')).toBe(digest);
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input.repositoryName).toBe(longest);
  });
});
