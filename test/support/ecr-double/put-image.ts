import { computeDigest } from '../../../src/core/digest.ts';
import { isIndexMediaType } from '../../../src/core/media-types.ts';
import { EcrException } from './aws-json.ts';
import { type DoubleState, isDigest, MAX_MANIFEST_CHARACTERS, requireRepository } from './state.ts';

type Input = Record<string, unknown>;

const INVALID_JSON = "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'";

/**
 * PutImage with ECR's documented checks, in this order: repository, manifest size (4,194,304
 * characters), JSON and media type (a manifest without `mediaType` needs `imageManifestMediaType`,
 * else ECR's misleading "Invalid JSON syntax"), `imageDigest` against the digest of the UTF-8 bytes,
 * the tag (same digest: ImageAlreadyExists; another digest in an immutable repository:
 * ImageTagAlreadyExists), fields of an index that ECR refuses (`platform.features`), children of an
 * index in the same repository (ReferencedImagesNotFound); then the bytes go to the registry under
 * the tag (or by digest when untagged).
 */
export async function putImage(state: DoubleState, input: Input): Promise<unknown> {
  const repository = requireRepository(state, input.repositoryName);
  const text = input.imageManifest;
  if (typeof text !== 'string' || text.length === 0) {
    throw new EcrException(
      'InvalidParameterException',
      "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length greater than or equal to 1'",
    );
  }
  if (text.length > MAX_MANIFEST_CHARACTERS) {
    throw new EcrException(
      'InvalidParameterException',
      `Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length less than or equal to ${MAX_MANIFEST_CHARACTERS}'`,
    );
  }
  const mediaType = mediaTypeOf(text, input.imageManifestMediaType);
  const bytes = Buffer.from(text, 'utf8');
  const digest = computeDigest(bytes);
  const declared = input.imageDigest;
  if (declared !== undefined && declared !== digest) {
    throw new EcrException(
      'ImageDigestDoesNotMatchException',
      `Provided digest '${String(declared)}' does not match the digest of the image manifest '${digest}'`,
    );
  }
  const tag = typeof input.imageTag === 'string' ? input.imageTag : undefined;
  await checkTag(state, repository, digest, tag);
  if (isIndexMediaType(mediaType)) {
    checkRefusedIndexFields(text);
    await checkChildren(state, repository, text);
  }

  const response = await state.registry.putManifest(repository, tag ?? digest, bytes, mediaType);
  if (response.status !== 201) {
    const body = await response.text();
    if (body.includes('MANIFEST_BLOB_UNKNOWN')) {
      throw new EcrException(
        'LayersNotFoundException',
        `The layers referenced by the manifest do not exist in the repository with name '${repository}': ${body}`,
      );
    }
    throw new EcrException(
      'InvalidParameterException',
      `Invalid parameter at 'imageManifest': the registry said HTTP ${response.status} ${body}`,
    );
  }
  await response.body?.cancel();
  return {
    image: {
      registryId: state.registryId,
      repositoryName: repository,
      imageId: { imageDigest: digest, ...(tag === undefined ? {} : { imageTag: tag }) },
      imageManifest: text,
      imageManifestMediaType: mediaType,
    },
  };
}

function mediaTypeOf(text: string, parameter: unknown): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EcrException('InvalidParameterException', INVALID_JSON);
  }
  const inBody = typeof json === 'object' && json !== null ? (json as { mediaType?: unknown }).mediaType : undefined;
  if (typeof inBody !== 'string' && typeof parameter !== 'string') throw new EcrException('InvalidParameterException', INVALID_JSON);
  if (typeof inBody === 'string' && typeof parameter === 'string' && inBody !== parameter) {
    throw new EcrException(
      'InvalidParameterException',
      `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'must match the mediaType of the manifest (${inBody})'`,
    );
  }
  return typeof parameter === 'string' ? parameter : (inBody as string);
}

async function checkTag(state: DoubleState, repository: string, digest: string, tag: string | undefined): Promise<void> {
  const current = await state.registry.headManifest(repository, tag ?? digest);
  if (current === undefined) return;
  if (current.digest === digest) {
    throw new EcrException(
      'ImageAlreadyExistsException',
      `Image with digest '${digest}'${tag === undefined ? '' : ` and tag '${tag}'`} already exists in the repository with name '${repository}' in registry with id '${state.registryId}'`,
    );
  }
  if (state.repositories.get(repository)?.tagMutability === 'IMMUTABLE') {
    throw new EcrException(
      'ImageTagAlreadyExistsException',
      `The image tag '${String(tag)}' already exists in the '${repository}' repository and cannot be overwritten because the repository is immutable.`,
    );
  }
}

/**
 * ECR refuses a manifest list whose children carry `platform.features` (the CPU features field the
 * Docker list schema defines and the OCI index reserves): aws/containers-roadmap#2439. The issue
 * does not quote ECR's message; this one says what was refused.
 */
function checkRefusedIndexFields(text: string): void {
  const index = JSON.parse(text) as { manifests?: Array<{ digest?: unknown; platform?: Record<string, unknown> }> };
  for (const child of index.manifests ?? []) {
    if (child.platform !== undefined && Object.hasOwn(child.platform, 'features')) {
      throw new EcrException(
        'InvalidParameterException',
        `Invalid parameter at 'imageManifest' failed to satisfy constraint: 'platform.features is not supported' (child ${String(child.digest)})`,
      );
    }
  }
}

async function checkChildren(state: DoubleState, repository: string, text: string): Promise<void> {
  const index = JSON.parse(text) as { manifests?: Array<{ digest?: unknown }> };
  const missing: string[] = [];
  for (const child of index.manifests ?? []) {
    const digest = child.digest;
    if (!isDigest(digest) || (await state.registry.headManifest(repository, digest)) === undefined) missing.push(String(digest));
  }
  if (missing.length > 0) {
    throw new EcrException(
      'ReferencedImagesNotFoundException',
      `Images with digests '[${missing.join(', ')}]' required for pushing image into repository with name '${repository}' in the registry with id '${state.registryId}' do not exist`,
    );
  }
}
