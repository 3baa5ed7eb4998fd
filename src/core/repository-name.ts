import { InvalidInputError } from './errors.ts';

/**
 * The one repository-name grammar of manifest-assembler, the registry's: the API, the CLI, the
 * local webhook and both registry adapters check names with this and nothing else, so a name the
 * API stores is always one the registry adapters will use (never one every reconcile pass fails on).
 *
 * Path components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` joined by `/` (OCI distribution); 2 to 255
 * characters: the CNCF registry and the docker reference grammar stop at 255, ECR needs at least 2
 * (and allows 256, so 255 fits both). Checking the grammar also keeps `..`, `?`, `%` and control
 * characters out of request paths and log lines.
 *
 * @see https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#pulling-manifests
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
 */
export const RepositoryNameLimits = { minLength: 2, maxLength: 255 } as const;

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
/** The grammar as a regular expression (length not included: see {@link RepositoryNameLimits}). */
export const REPOSITORY_NAME_SYNTAX = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

/** A repository name split into its path components. */
export interface RepositoryName {
  readonly components: readonly string[];
}

const DESCRIPTION = 'lower-case path components ([a-z0-9] separated by ., _, __ or -) joined by /, e.g. team/hello';
const SHOWN_CHARACTERS = 64;

/** What is wrong with `text` as a repository name, or undefined when it is one. */
export function repositoryNameProblem(text: string): string | undefined {
  if (text === '') return `the repository name is empty; it must be ${DESCRIPTION}`;
  const { minLength, maxLength } = RepositoryNameLimits;
  // Length first: a 10,000-character name is never run through the pattern.
  if (text.length < minLength || text.length > maxLength) {
    return `a repository name has ${minLength} to ${maxLength} characters (this one has ${text.length})`;
  }
  if (!REPOSITORY_NAME_SYNTAX.test(text)) return `${JSON.stringify(shorten(text))} is not a repository name: ${DESCRIPTION}`;
  return undefined;
}

/** Parses a repository name; throws {@link InvalidInputError} naming `field` (and saying what is wrong). */
export function parseRepositoryName(text: string, field = 'repository'): RepositoryName {
  const problem = repositoryNameProblem(text);
  if (problem !== undefined) throw new InvalidInputError(`${field}: ${problem}`, field);
  return { components: text.split('/') };
}

/** The inverse of {@link parseRepositoryName}. */
export function formatRepositoryName(name: RepositoryName): string {
  return name.components.join('/');
}

/** `text` itself when it is a repository name; throws like {@link parseRepositoryName} otherwise. */
export function checkRepositoryName(text: string, field = 'repository'): string {
  return formatRepositoryName(parseRepositoryName(text, field));
}

function shorten(text: string): string {
  return text.length > SHOWN_CHARACTERS ? `${text.slice(0, SHOWN_CHARACTERS)}…` : text;
}
