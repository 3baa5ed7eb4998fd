/**
 * Semantic Versioning 2.0 with an optional `v` prefix, as release pipelines tag images (`2.7.1`,
 * `v2.7.1`, `2.8.0-rc.1`). Only what floating target tags need: parse, format, compare, isRelease.
 * @see https://semver.org/spec/v2.0.0.html
 */
export interface Semver {
  /** `v` when the version was written `v2.7.1`; kept so formatting gives the text back. */
  readonly prefix: '' | 'v';
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Dot-separated pre-release identifiers (`rc`, `1` in `-rc.1`); empty for a release. */
  readonly prerelease: readonly string[];
  /** Build metadata identifiers (`+build.5`); ignored by every comparison. */
  readonly build: readonly string[];
}

const NUMBER = '0|[1-9]\\d*';
const PRERELEASE_ID = `(?:${NUMBER}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const BUILD_ID = '[0-9A-Za-z-]+';
// The regular expression semver.org publishes, with the `v` in front.
const SEMVER = new RegExp(
  `^(v?)(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})` +
    `(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?` +
    `(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`,
);
const NUMERIC = /^\d+$/;

/**
 * Reads a version as semver; undefined when it is not one (`2.7`, `latest`, `02.7.1`). Numbers
 * above Number.MAX_SAFE_INTEGER are refused too, as node-semver does, so every part compares exactly.
 */
export function parseSemver(text: string): Semver | undefined {
  const match = SEMVER.exec(text);
  if (!match) return undefined;
  const [major, minor, patch] = [match[2], match[3], match[4]].map(Number) as [number, number, number];
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  const prerelease = match[5] === undefined ? [] : match[5].split('.');
  if (prerelease.some((id) => NUMERIC.test(id) && !Number.isSafeInteger(Number(id)))) return undefined;
  return {
    prefix: match[1] === 'v' ? 'v' : '',
    major,
    minor,
    patch,
    prerelease,
    build: match[6] === undefined ? [] : match[6].split('.'),
  };
}

/** The text a {@link Semver} was parsed from. */
export function formatSemver(version: Semver): string {
  const prerelease = version.prerelease.length > 0 ? `-${version.prerelease.join('.')}` : '';
  const build = version.build.length > 0 ? `+${version.build.join('.')}` : '';
  return `${version.prefix}${version.major}.${version.minor}.${version.patch}${prerelease}${build}`;
}

/** A release has no pre-release part (`2.7.1`, `v2.7.1+build.5`); only releases move floating tags. */
export function isRelease(version: Semver): boolean {
  return version.prerelease.length === 0;
}

/**
 * Precedence as semver.org §11 defines it: negative when `a` comes before `b`, 0 when they have the
 * same precedence (build metadata and the `v` prefix do not count), positive when after.
 */
export function compareSemver(a: Semver, b: Semver): number {
  return (
    Math.sign(a.major - b.major) ||
    Math.sign(a.minor - b.minor) ||
    Math.sign(a.patch - b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  // A release comes after every pre-release of the same version.
  if (a.length === 0 || b.length === 0) return Math.sign(b.length - a.length);
  for (const [i, left] of a.entries()) {
    const right = b[i];
    if (right === undefined) break;
    const order = compareIdentifier(left, right);
    if (order !== 0) return order;
  }
  // All shared identifiers equal: the one with more identifiers comes after.
  return Math.sign(a.length - b.length);
}

function compareIdentifier(a: string, b: string): number {
  const aNumeric = NUMERIC.test(a);
  const bNumeric = NUMERIC.test(b);
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  // Numeric identifiers come before alphanumeric ones; alphanumeric ones compare in ASCII order.
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
