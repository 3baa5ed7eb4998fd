import { InvalidInputError } from './errors.ts';

/** Docker's tag grammar (ECR accepts the same). */
export const TAG_SYNTAX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What a per-arch tag says: the version it belongs to, and the value of the `platform` group if the pattern has one. */
export interface TagMatch {
  readonly version: string;
  readonly platformHint?: string;
}

const MAX_PATTERN_LENGTH = 512;

/**
 * Compiles a repository's `tagPattern`. It must have a named group `version`; patterns with nested
 * quantifiers (`(a+)+`, `(.*)*`), which can backtrack catastrophically, are refused, since tags come
 * from anyone who can push.
 */
export function compileTagPattern(pattern: string): RegExp {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw new InvalidInputError(`tagPattern must be 1 to ${MAX_PATTERN_LENGTH} characters`, 'tagPattern');
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch (error) {
    throw new InvalidInputError(`tagPattern is not a valid regular expression: ${(error as Error).message}`, 'tagPattern');
  }
  if (!/\(\?<version>/.test(pattern)) {
    throw new InvalidInputError('tagPattern must have a named group (?<version>…)', 'tagPattern');
  }
  if (hasNestedQuantifier(pattern)) {
    throw new InvalidInputError(
      'tagPattern has a quantified group that itself contains a quantifier (like (a+)+), which can backtrack catastrophically',
      'tagPattern',
    );
  }
  return regex;
}

/** Splits a tag into version and platform hint; undefined when the tag is not a per-arch tag of this pattern. */
export function matchTag(pattern: RegExp, tag: string): TagMatch | undefined {
  if (!TAG_SYNTAX.test(tag)) return undefined;
  const groups = pattern.exec(tag)?.groups;
  const version = groups?.['version'];
  if (version === undefined || version === '' || !TAG_SYNTAX.test(version)) return undefined;
  const platformHint = groups?.['platform'];
  return platformHint === undefined || platformHint === '' ? { version } : { version, platformHint };
}

/** A target tag for a version: `{version}` replaced. */
export function formatTargetTag(template: string, version: string): string {
  return template.replaceAll('{version}', version);
}

/**
 * True when a group that is quantified contains a quantifier itself. Conservative: it may refuse a
 * safe pattern such as `(a+b)+`, never accept `(a+)+`.
 */
function hasNestedQuantifier(pattern: string): boolean {
  const groupHasQuantifier: boolean[] = [];
  let escaped = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (escaped) { escaped = false; continue; }
    if (ch === '\\') { escaped = true; continue; }
    if (inClass) { if (ch === ']') inClass = false; continue; }
    if (ch === '[') { inClass = true; continue; }
    if (ch === '(') { groupHasQuantifier.push(false); continue; }
    if (ch === ')') {
      const inner = groupHasQuantifier.pop() ?? false;
      const next = pattern[i + 1];
      const groupIsQuantified = next === '*' || next === '+' || next === '{';
      if (inner && groupIsQuantified) return true;
      if (groupHasQuantifier.length > 0 && (inner || groupIsQuantified)) {
        groupHasQuantifier[groupHasQuantifier.length - 1] = true;
      }
      continue;
    }
    if ((ch === '*' || ch === '+' || ch === '{') && groupHasQuantifier.length > 0) {
      groupHasQuantifier[groupHasQuantifier.length - 1] = true;
    }
  }
  return false;
}
