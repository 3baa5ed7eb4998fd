import { EcrException } from './aws-json.ts';
import type { RegistryClient } from './registry-client.ts';

export type TagMutability = 'MUTABLE' | 'IMMUTABLE';

export interface DoubleRepository {
  readonly tagMutability: TagMutability;
}

/** What the operations of the double share: the registry behind it and the settings tests change. */
export interface DoubleState {
  readonly registry: RegistryClient;
  readonly registryId: string;
  /** `http://127.0.0.1:PORT` of the double itself (for download URLs). */
  baseUrl: string;
  readonly repositories: Map<string, DoubleRepository>;
  /** BatchGetImage serves these manifests with one byte changed (a broken transfer or a broken ECR). */
  readonly corruptManifests: Set<string>;
  /** The blob download serves these blobs with one byte changed. */
  readonly corruptBlobs: Set<string>;
  /** ListImages answers at most this many ids per page (ECR: 100 unless maxResults says otherwise, at most 1000). */
  maxPageSize: number;
}

/** ECR's own size limit for `imageManifest`, in characters. */
export const MAX_MANIFEST_CHARACTERS = 4_194_304;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value);
}

/** ECR repositories must be created before use; the double knows only those a test created. */
export function requireRepository(state: DoubleState, name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new EcrException(
      'InvalidParameterException',
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be empty'",
    );
  }
  if (!state.repositories.has(name)) {
    throw new EcrException(
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${state.registryId}'`,
    );
  }
  return name;
}

/** Tags pointing at `digest` (the registry has no reverse index: one HEAD per tag, fine for tests). */
export async function tagsOf(state: DoubleState, repository: string, digest: string): Promise<string[]> {
  const tags: string[] = [];
  for (const tag of await state.registry.listTags(repository)) {
    if ((await state.registry.headManifest(repository, tag))?.digest === digest) tags.push(tag);
  }
  return tags;
}

/** One byte changed, so the digest no longer matches while the text stays plausible. */
export function corrupt(text: string): string {
  return text.endsWith('}') ? `${text.slice(0, -1)} }` : `${text} `;
}
