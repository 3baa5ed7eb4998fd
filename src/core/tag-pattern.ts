import type { RE2JS } from 're2js';
import { InvalidInputError } from './errors.ts';

/** Docker's tag grammar (ECR accepts the same). */
export const TAG_SYNTAX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What is wrong with a version that is not one: it becomes part of tags, so it must be a tag itself. */
export const VERSION_SYNTAX_MESSAGE = 'a version must be a valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';

/** `text` itself when it is a valid version; throws {@link InvalidInputError} naming `field` otherwise. */
export function checkVersion(text: string, field = 'version'): string {
  if (!TAG_SYNTAX.test(text)) throw new InvalidInputError(`${field}: ${VERSION_SYNTAX_MESSAGE}`, field);
  return text;
}

/** The default `tagPattern`: everything before the last `-` is the version, the rest the platform. */
export const DEFAULT_TAG_PATTERN = '^(?<version>.+)-(?<platform>[^-]+)$';

/** What a per-arch tag says: the version it belongs to, and the value of the `platform` group if the pattern has one. */
export interface TagMatch {
  readonly version: string;
  readonly platformHint?: string;
}

const MAX_PATTERN_LENGTH = 512;

/** A compiled `tagPattern`: matched in time linear in the tag's length. */
export interface TagPattern {
  readonly source: string;
  /** The `version` and `platform` groups of a match (null when a group took no part), or undefined for no match. */
  groups(tag: string): { readonly version: string | null; readonly platform: string | null } | undefined;
}

/**
 * The default pattern without a regular-expression engine: split at the last `-`. Exactly what
 * RE2 makes of {@link DEFAULT_TAG_PATTERN} (`[^-]+$` can only start after the last dash), and it
 * keeps re2js (150 KB, most of a Lambda bundle's own code) off the path of every push.
 */
const defaultPattern: TagPattern = {
  source: DEFAULT_TAG_PATTERN,
  groups(tag) {
    const dash = tag.lastIndexOf('-');
    if (dash <= 0 || dash === tag.length - 1) return undefined;
    return { version: tag.slice(0, dash), platform: tag.slice(dash + 1) };
  },
};

// Compiled custom patterns, by source: a repository's pattern is compiled once per process, not per
// event. Bounded, since patterns come from configs that can change.
const compiled = new Map<string, TagPattern>();
const MAX_COMPILED = 64;

/**
 * Compiles a repository's `tagPattern`, which must have a named group `version`.
 *
 * Tags come from anyone who can push, so a custom pattern runs on RE2 (re2js, loaded on first
 * use), whose matching time is linear in the input: no pattern, however written (`(a+)+`,
 * `(a|a)*`, `.*.*.*`), can make a tag take exponential time. The price is RE2's syntax: no
 * lookaround and no backreferences. Throws {@link InvalidInputError} naming `tagPattern`.
 */
export async function compileTagPattern(pattern: string): Promise<TagPattern> {
  checkTagPatternText(pattern);
  if (pattern === DEFAULT_TAG_PATTERN) return defaultPattern;
  const known = compiled.get(pattern);
  if (known !== undefined) return known;
  const { RE2JS } = await import('re2js');
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (error) {
    throw new InvalidInputError(
      `tagPattern is not a valid regular expression (RE2 syntax: no lookaround, no backreferences): ${(error as Error).message}`,
      'tagPattern',
    );
  }
  const named = re.namedGroups();
  if (!Object.hasOwn(named, 'version')) throw new InvalidInputError('tagPattern must have a named group (?<version>…)', 'tagPattern');
  const hasPlatform = Object.hasOwn(named, 'platform');
  const result: TagPattern = {
    source: pattern,
    groups(tag) {
      // find(), not matches(): like RegExp.exec, the pattern anchors itself with ^ and $ where it wants.
      const matcher = re.matcher(tag);
      if (!matcher.find()) return undefined;
      return { version: matcher.group('version'), platform: hasPlatform ? matcher.group('platform') : null };
    },
  };
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(pattern, result);
  return result;
}

/**
 * What can be checked of a pattern without compiling it: its length and a `version` group. The
 * full check (RE2 syntax) is {@link compileTagPattern}, which the API runs before storing a config.
 */
export function checkTagPatternText(pattern: string): void {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw new InvalidInputError(`tagPattern must be 1 to ${MAX_PATTERN_LENGTH} characters`, 'tagPattern');
  }
  if (!pattern.includes('(?<version>') && !pattern.includes('(?P<version>')) {
    throw new InvalidInputError('tagPattern must have a named group (?<version>…)', 'tagPattern');
  }
}

/** Splits a tag into version and platform hint; undefined when the tag is not a per-arch tag of this pattern. */
export function matchTag(pattern: TagPattern, tag: string): TagMatch | undefined {
  if (!TAG_SYNTAX.test(tag)) return undefined;
  const groups = pattern.groups(tag);
  if (groups === undefined) return undefined;
  const { version, platform } = groups;
  if (version === null || version === '' || !TAG_SYNTAX.test(version)) return undefined;
  return platform === null || platform === '' ? { version } : { version, platformHint: platform };
}

/** A target tag for a version: `{version}` replaced. */
export function formatTargetTag(template: string, version: string): string {
  return template.replaceAll('{version}', version);
}
