import { isIndexMediaType } from '../../../src/core/media-types.ts';
import { EcrException } from './aws-json.ts';
import { corrupt, type DoubleState, isDigest, requireRepository, tagsOf } from './state.ts';

type Input = Record<string, unknown>;
interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

function imageIdsOf(input: Input): ImageId[] {
  const ids = input.imageIds;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) {
    throw new EcrException(
      'InvalidParameterException',
      "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'",
    );
  }
  return ids as ImageId[];
}

function failure(imageId: ImageId, failureCode: string, failureReason: string) {
  return { imageId, failureCode, failureReason };
}

/**
 * BatchGetImage. Per-image problems are `failures[]`, not exceptions. When an index is asked for
 * without its media type among `acceptedMediaTypes`, the double answers as the Docker registry
 * spec's legacy rule (and users' reports about ECR's format conversion) say: with the linux/amd64
 * child's manifest instead. Whether ECR really does this by digest is unverified; it is the risk the
 * adapter guards against by always sending every index type.
 */
export async function batchGetImage(state: DoubleState, input: Input): Promise<unknown> {
  const repository = requireRepository(state, input.repositoryName);
  const accepted = Array.isArray(input.acceptedMediaTypes) ? (input.acceptedMediaTypes as string[]) : undefined;
  const images: unknown[] = [];
  const failures: unknown[] = [];
  for (const imageId of imageIdsOf(input)) {
    if (imageId.imageDigest === undefined && imageId.imageTag === undefined) {
      failures.push(failure(imageId, 'MissingDigestAndTag', 'Missing image digest and tag'));
      continue;
    }
    if (imageId.imageDigest !== undefined && !isDigest(imageId.imageDigest)) {
      failures.push(failure(imageId, 'InvalidImageDigest', 'Invalid image digest'));
      continue;
    }
    const stored = await state.registry.getManifest(repository, imageId.imageDigest ?? imageId.imageTag ?? '');
    if (stored === undefined) {
      failures.push(failure(imageId, 'ImageNotFound', 'Requested image not found'));
      continue;
    }
    if (imageId.imageDigest !== undefined && imageId.imageTag !== undefined) {
      if ((await state.registry.headManifest(repository, imageId.imageTag))?.digest !== imageId.imageDigest) {
        failures.push(failure(imageId, 'ImageTagDoesNotMatchDigest', 'Image tag does not match digest'));
        continue;
      }
    }
    let text = stored.bytes.toString('utf8');
    let mediaType = stored.mediaType;
    if (isIndexMediaType(mediaType) && accepted !== undefined && !accepted.includes(mediaType)) {
      const converted = await amd64Child(state, repository, text);
      if (converted === undefined) {
        failures.push(failure(imageId, 'ImageNotFound', 'Requested image not found'));
        continue;
      }
      ({ text, mediaType } = converted);
    }
    if (state.corruptManifests.has(stored.digest)) text = corrupt(text);
    images.push({
      registryId: state.registryId,
      repositoryName: repository,
      imageId: { imageDigest: stored.digest, ...(imageId.imageTag === undefined ? {} : { imageTag: imageId.imageTag }) },
      imageManifest: text,
      imageManifestMediaType: mediaType,
    });
  }
  return { images, failures };
}

async function amd64Child(
  state: DoubleState,
  repository: string,
  indexText: string,
): Promise<{ text: string; mediaType: string } | undefined> {
  const index = JSON.parse(indexText) as { manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }> };
  const child = index.manifests?.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
  const stored = child === undefined ? undefined : await state.registry.getManifest(repository, child.digest);
  return stored === undefined ? undefined : { text: stored.bytes.toString('utf8'), mediaType: stored.mediaType };
}

/** DescribeImages for given `imageIds` (listing every image without ids is not implemented). */
export async function describeImages(state: DoubleState, input: Input): Promise<unknown> {
  const repository = requireRepository(state, input.repositoryName);
  if (input.imageIds === undefined) {
    throw new EcrException('InvalidParameterException', 'ecr-double: DescribeImages without imageIds is not implemented');
  }
  const imageDetails: unknown[] = [];
  for (const imageId of imageIdsOf(input)) {
    const found = await state.registry.headManifest(repository, imageId.imageDigest ?? imageId.imageTag ?? '');
    if (
      found === undefined ||
      (imageId.imageDigest !== undefined && imageId.imageTag !== undefined && found.digest !== imageId.imageDigest)
    ) {
      throw new EcrException(
        'ImageNotFoundException',
        `The image with imageId {imageDigest:'${imageId.imageDigest ?? 'null'}', imageTag:'${imageId.imageTag ?? 'null'}'} does not exist within the repository with name '${repository}' in the registry with id '${state.registryId}'`,
      );
    }
    const tags = await tagsOf(state, repository, found.digest);
    imageDetails.push({
      registryId: state.registryId,
      repositoryName: repository,
      imageDigest: found.digest,
      ...(tags.length === 0 ? {} : { imageTags: tags }),
      imageManifestMediaType: found.mediaType,
    });
  }
  return { imageDetails };
}

/** ListImages with `filter.tagStatus: TAGGED` (the registry cannot list untagged manifests). */
export async function listImages(state: DoubleState, input: Input): Promise<unknown> {
  const repository = requireRepository(state, input.repositoryName);
  const filter = input.filter as { tagStatus?: string } | undefined;
  if (filter?.tagStatus !== 'TAGGED') {
    throw new EcrException('InvalidParameterException', 'ecr-double: ListImages is implemented only with filter.tagStatus TAGGED');
  }
  const maxResults = typeof input.maxResults === 'number' ? input.maxResults : 100;
  if (maxResults < 1 || maxResults > 1000) {
    throw new EcrException(
      'InvalidParameterException',
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'",
    );
  }
  const pageSize = Math.min(maxResults, state.maxPageSize);
  const start = typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) throw new EcrException('InvalidParameterException', 'Invalid NextToken');
  const tags = await state.registry.listTags(repository);
  const imageIds: unknown[] = [];
  for (const tag of tags.slice(start, start + pageSize)) {
    const found = await state.registry.headManifest(repository, tag);
    if (found !== undefined) imageIds.push({ imageDigest: found.digest, imageTag: tag });
  }
  const next = start + pageSize;
  return { imageIds, ...(next < tags.length ? { nextToken: Buffer.from(String(next), 'utf8').toString('base64url') } : {}) };
}

/**
 * GetDownloadUrlForLayer: a "pre-signed" URL on the double itself, whose handler streams the blob from
 * the registry (see blob-download.ts).
 */
export async function getDownloadUrlForLayer(state: DoubleState, input: Input): Promise<unknown> {
  const repository = requireRepository(state, input.repositoryName);
  const digest = input.layerDigest;
  if (!isDigest(digest)) {
    throw new EcrException(
      'InvalidParameterException',
      `Invalid parameter at 'layerDigest' failed to satisfy constraint: 'Invalid digest'`,
    );
  }
  if (!(await state.registry.hasBlob(repository, digest))) {
    throw new EcrException(
      'LayersNotFoundException',
      `The layer with digest '${digest}' does not exist in the repository with name '${repository}' in the registry with id '${state.registryId}'`,
    );
  }
  return {
    downloadUrl: `${state.baseUrl}/blob-download/${repository}/${digest}?X-Amz-Signature=fake&X-Amz-Credential=fake`,
    layerDigest: digest,
  };
}
