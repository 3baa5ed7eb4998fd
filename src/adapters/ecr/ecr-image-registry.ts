import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
  GetDownloadUrlForLayerCommand,
  PutImageCommand,
  paginateListImages,
} from '@aws-sdk/client-ecr';
import type { Descriptor, RawManifest } from '../../core/descriptor.ts';
import { computeDigest } from '../../core/digest.ts';
import { ErrorCodes, RegistryError } from '../../core/errors.ts';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, Limits } from '../../core/media-types.ts';
import type { ImageRegistry } from '../../core/ports.ts';
import { repositoryNameProblem } from '../../core/repository-name.ts';
import { downloadBlob } from './download-blob.ts';
import type { EcrCallContext } from './ecr-errors.ts';
import { decodeManifest, mediaTypeOf } from './manifest-text.ts';

export { createEcrClient } from './ecr-client.ts';

export interface EcrImageRegistryOptions {
  /** Build it with {@link createEcrClient} (adaptive retries). */
  readonly client: ECRClient;
  /** The AWS account of the registry; the caller's own account when absent. */
  readonly registryId?: string;
  /** Used only for the pre-signed blob download URL. */
  readonly fetch?: typeof fetch;
  /** Per call (every SDK call, and the whole blob download). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

// The translation of ECR's errors (its tables and messages) is imported at the first failure: calls
// that succeed never need it, and it stays off the cold start (docs/performance.md).
const ecrErrors = () => import('./ecr-errors.ts');
const LIST_IMAGES_PAGE_SIZE = 1000;

/**
 * {@link ImageRegistry} on Amazon ECR through its API (BatchGetImage, GetDownloadUrlForLayer,
 * DescribeImages, PutImage, ListImages), so it needs IAM permissions, not a Docker login.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/Welcome.html
 */
export class EcrImageRegistry implements ImageRegistry {
  readonly #client: ECRClient;
  readonly #registryId: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: EcrImageRegistryOptions) {
    this.#client = options.client;
    this.#registryId = options.registryId;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async fetchManifest(repository: string, digest: string): Promise<RawManifest> {
    const context = this.#context('BatchGetImage', repository, { digest });
    const output = await this.#send(context, (signal) =>
      this.#client.send(
        new BatchGetImageCommand({
          ...this.#registry(),
          repositoryName: repository,
          imageIds: [{ imageDigest: digest }],
          // Every index type too: asked without the list types, ECR may answer with one platform's
          // manifest instead of the index (its format conversion), which would then fail the digest check.
          acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
        }),
        { abortSignal: signal },
      ),
    );
    const failure = output.failures?.[0];
    if (failure !== undefined) throw (await ecrErrors()).translateImageFailure(failure, context);
    const image = output.images?.find((candidate) => candidate.imageId?.imageDigest === digest) ?? output.images?.[0];
    if (image?.imageManifest === undefined) {
      const { describeTarget } = await ecrErrors();
      throw new RegistryError(ErrorCodes.notFound, `ECR BatchGetImage returned no manifest for ${describeTarget(context)}`, {
        details: { repository, digest },
      });
    }
    // ECR hands the manifest over as a string; its digest covers the UTF-8 bytes of that string.
    const bytes = new TextEncoder().encode(image.imageManifest);
    if (bytes.byteLength > Limits.manifestBytes) {
      throw new RegistryError(
        ErrorCodes.tooLarge,
        `manifest ${repository}@${digest} is ${bytes.byteLength} bytes, more than the ${Limits.manifestBytes} allowed`,
        {
          details: { repository, digest, size: bytes.byteLength },
        },
      );
    }
    const actual = computeDigest(bytes);
    if (actual !== digest) {
      throw new RegistryError(
        ErrorCodes.digestMismatch,
        `ECR returned a manifest for ${repository}@${digest} whose bytes have digest ${actual}`,
        {
          details: { repository, digest, actualDigest: actual, mediaType: image.imageManifestMediaType },
        },
      );
    }
    return {
      mediaType: mediaTypeOf(image.imageManifestMediaType, image.imageManifest, repository, digest),
      digest,
      size: bytes.byteLength,
      bytes,
    };
  }

  async fetchBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    const context = this.#context('GetDownloadUrlForLayer', repository, { digest: descriptor.digest });
    const output = await this.#send(context, (signal) =>
      this.#client.send(
        new GetDownloadUrlForLayerCommand({ ...this.#registry(), repositoryName: repository, layerDigest: descriptor.digest }),
        {
          abortSignal: signal,
        },
      ),
    );
    if (output.downloadUrl === undefined) {
      const { describeTarget } = await ecrErrors();
      throw new RegistryError(ErrorCodes.unavailable, `ECR GetDownloadUrlForLayer returned no URL for ${describeTarget(context)}`, {
        retryable: true,
        details: { repository, digest: descriptor.digest },
      });
    }
    return downloadBlob({ fetch: this.#fetch, url: output.downloadUrl, repository, descriptor, maxBytes, timeoutMs: this.#timeoutMs });
  }

  async resolveTag(repository: string, tag: string): Promise<string | undefined> {
    const context = this.#context('DescribeImages', repository, { tag });
    try {
      const output = await this.#client.send(
        new DescribeImagesCommand({ ...this.#registry(), repositoryName: repository, imageIds: [{ imageTag: tag }] }),
        { abortSignal: AbortSignal.timeout(this.#timeoutMs) },
      );
      return output.imageDetails?.[0]?.imageDigest;
    } catch (error) {
      const { nameOf, translateEcrError } = await ecrErrors();
      if (nameOf(error) === 'ImageNotFoundException') return undefined;
      throw translateEcrError(error, context);
    }
  }

  async putManifest(repository: string, tag: string, manifest: RawManifest): Promise<void> {
    const context = this.#context('PutImage', repository, { tag, digest: manifest.digest });
    const text = decodeManifest(manifest, repository);
    try {
      await this.#client.send(
        new PutImageCommand({
          ...this.#registry(),
          repositoryName: repository,
          imageManifest: text,
          // ECR rejects a manifest without a top-level `mediaType` with the misleading
          // InvalidParameterException "Invalid JSON syntax" unless this is sent; send it always.
          imageManifestMediaType: manifest.mediaType,
          imageTag: tag,
          // With the digest, ECR checks that it stores exactly the bytes we computed the digest of.
          imageDigest: manifest.digest,
        }),
        { abortSignal: AbortSignal.timeout(this.#timeoutMs) },
      );
    } catch (error) {
      const { nameOf, tagImmutable, translateEcrError } = await ecrErrors();
      // Same manifest, same tag, already there: a replay (ours or a retry's), i.e. success.
      if (nameOf(error) === 'ImageAlreadyExistsException') return;
      if (nameOf(error) === 'ImageTagAlreadyExistsException') throw tagImmutable(error, context);
      throw translateEcrError(error, context);
    }
  }

  async listTags(repository: string): Promise<string[]> {
    const context = this.#context('ListImages', repository, {});
    const tags = new Set<string>();
    try {
      const pages = paginateListImages(
        { client: this.#client, pageSize: LIST_IMAGES_PAGE_SIZE },
        { ...this.#registry(), repositoryName: repository, filter: { tagStatus: 'TAGGED' } },
      );
      // ListImages gives one entry per (digest, tag) pair, so an image with three tags appears three times.
      for await (const page of pages) {
        for (const id of page.imageIds ?? []) if (id.imageTag !== undefined) tags.add(id.imageTag);
      }
    } catch (error) {
      throw (await ecrErrors()).translateEcrError(error, context);
    }
    return [...tags];
  }

  #registry(): { registryId?: string } {
    return this.#registryId === undefined ? {} : { registryId: this.#registryId };
  }

  #context(operation: string, repository: string, rest: { digest?: string; tag?: string }): EcrCallContext {
    const context = { operation, repository, registryId: this.#registryId, ...rest };
    // The API accepts only this grammar, so a name failing it is a caller's bug: refused before ECR sees it.
    const problem = repositoryNameProblem(repository);
    if (problem !== undefined) throw new RegistryError(ErrorCodes.invalidInput, `ECR ${operation} ${problem}`, { details: { repository } });
    return context;
  }

  async #send<T>(context: EcrCallContext, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await call(AbortSignal.timeout(this.#timeoutMs));
    } catch (error) {
      throw (await ecrErrors()).translateEcrError(error, context);
    }
  }
}
