import { TAG_SYNTAX } from '../core/tag-pattern.ts';

/**
 * The OCI distribution grammar for repository names (ECR's is a subset): lower-case components
 * joined by `/`. Checking it here also keeps `..` and `?` out of the request paths the names go into.
 * @see https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#pulling-manifests
 */
const REPOSITORY_SYNTAX = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const MIN_REPOSITORY_LENGTH = 2;
const MAX_REPOSITORY_LENGTH = 256;

/** `repository` or `repository:version` as typed on the command line. */
export interface RepositoryRef {
  readonly repository: string;
  readonly version?: string;
}

/** Parses `team/hello` or `team/hello:2.7`; throws an Error whose message names what is wrong. */
export function parseRepositoryRef(text: string): RepositoryRef {
  const colon = text.indexOf(':');
  const repository = colon === -1 ? text : text.slice(0, colon);
  checkRepositoryName(repository);
  if (colon === -1) return { repository };
  const version = text.slice(colon + 1);
  if (!TAG_SYNTAX.test(version)) {
    throw new Error(`"${version}" is not a version: it must be a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
  }
  return { repository, version };
}

/** The inverse of {@link parseRepositoryRef}. */
export function formatRepositoryRef(ref: RepositoryRef): string {
  return ref.version === undefined ? ref.repository : `${ref.repository}:${ref.version}`;
}

/** Throws unless `name` is a repository name (lower-case components joined by `/`). */
export function checkRepositoryName(name: string): void {
  if (name === '') throw new Error('the repository name is empty');
  if (!REPOSITORY_SYNTAX.test(name)) {
    throw new Error(
      `"${name}" is not a repository name: expected lower-case letters and digits in components joined by '/', e.g. team/hello`,
    );
  }
  // ECR's limits, which the API enforces too.
  if (name.length < MIN_REPOSITORY_LENGTH || name.length > MAX_REPOSITORY_LENGTH) {
    throw new Error(`"${name}" is not a repository name: it must have ${MIN_REPOSITORY_LENGTH} to ${MAX_REPOSITORY_LENGTH} characters`);
  }
}
