/**
 * Parsing of `WWW-Authenticate` challenges as registries send them:
 * `Basic realm="Registry"` or `Bearer realm="https://auth.example/token",service="registry",scope="repository:app:pull"`.
 * One header may hold several challenges, separated by commas like their parameters.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 * @see https://distribution.github.io/distribution/spec/auth/token/
 */
export interface Challenge {
  /** Lower-cased: `basic`, `bearer`. */
  readonly scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = String.raw`[!#$%&'*+.^_\x60|~0-9A-Za-z-]+`;
// A scheme, or one name=value parameter (value quoted or a bare token); each may end with a comma.
const PART = new RegExp(String.raw`\s*(${TOKEN})(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?\s*,?`, 'y');

export function parseChallenges(header: string): Challenge[] {
  const challenges: Array<{ scheme: string; params: Record<string, string> }> = [];
  PART.lastIndex = 0;
  while (PART.lastIndex < header.length) {
    const match = PART.exec(header);
    if (match === null) break;
    const [, name = '', value] = match;
    const current = challenges.at(-1);
    if (value === undefined) {
      challenges.push({ scheme: name.toLowerCase(), params: {} });
    } else if (current !== undefined) {
      current.params[name.toLowerCase()] = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
    }
  }
  return challenges;
}
