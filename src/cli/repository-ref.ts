import { repositoryNameProblem } from '../core/repository-name.ts';
import { TAG_SYNTAX } from '../core/tag-pattern.ts';

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

/** Throws unless `name` is a repository name (the grammar of src/core/repository-name.ts), saying what is wrong. */
export function checkRepositoryName(name: string): void {
  const problem = repositoryNameProblem(name);
  if (problem !== undefined) throw new Error(problem);
}
