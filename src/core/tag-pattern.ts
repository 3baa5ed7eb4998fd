import { RE2JS } from 're2js';
import { InvalidInputError } from './errors.ts';

/** Docker's tag grammar (ECR accepts the same). */
export const TAG_SYNTAX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What a per-arch tag says: the version it belongs to, and the value of the `platform` group if the pattern has one. */
export interface TagMatch {
  readonly version: string;
  readonly platformHint?: string;
}

const MAX_PATTERN_LENGTH = 512;

/** A compiled `tagPattern`: RE2 syntax, matched in time linear in the tag's length. */
export interface TagPattern {
  readonly source: string;
  readonly re: RE2JS;
}

/**
 * Compiles a repository's `tagPattern`, which must have a named group `version`.
 *
 * Tags come from anyone who can push, so the pattern runs on RE2 (re2js), whose matching time is
 * linear in the input: no pattern, however written (`(a+)+`, `(a|a)*`, `.*.*.*`), can make a tag
 * take exponential time. The price is RE2's syntax: no lookaround and no backreferences.
 */
export function compileTagPattern(pattern: string): TagPattern {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw new InvalidInputError(`tagPattern must be 1 to ${MAX_PATTERN_LENGTH} characters`, 'tagPattern');
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (error) {
    throw new InvalidInputError(
      `tagPattern is not a valid regular expression (RE2 syntax: no lookaround, no backreferences): ${(error as Error).message}`,
      'tagPattern',
    );
  }
  if (!Object.hasOwn(re.namedGroups(), 'version')) {
    throw new InvalidInputError('tagPattern must have a named group (?<version>…)', 'tagPattern');
  }
  return { source: pattern, re };
}

/** Splits a tag into version and platform hint; undefined when the tag is not a per-arch tag of this pattern. */
export function matchTag(pattern: TagPattern, tag: string): TagMatch | undefined {
  if (!TAG_SYNTAX.test(tag)) return undefined;
  // find(), not matches(): like RegExp.exec, the pattern anchors itself with ^ and $ where it wants.
  const matcher = pattern.re.matcher(tag);
  if (!matcher.find()) return undefined;
  const version = matcher.group('version');
  if (version === null || version === '' || !TAG_SYNTAX.test(version)) return undefined;
  const platformHint = Object.hasOwn(pattern.re.namedGroups(), 'platform') ? matcher.group('platform') : null;
  return platformHint === null || platformHint === '' ? { version } : { version, platformHint };
}

/** A target tag for a version: `{version}` replaced. */
export function formatTargetTag(template: string, version: string): string {
  return template.replaceAll('{version}', version);
}
