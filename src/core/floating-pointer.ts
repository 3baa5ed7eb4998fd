import { compareSemver, parseSemver, type Semver } from './semver.ts';

/**
 * Where a floating tag (`latest`, `2.7`) points, as the store keeps it: one item per repository and
 * tag, claimed with a conditional write that only lets it move forward (`rank` never decreases).
 */
export interface FloatingPointer {
  readonly tag: string;
  /** The version the tag points to. */
  readonly version: string;
  /** The index published for that version (what the tag must hold). */
  readonly digest: string;
  /** The version record's revision that index was built from. */
  readonly revision: number;
  /** {@link floatingRank} of version and revision: compared as a string, so the store can condition on it. */
  readonly rank: string;
}

/** Enough digits for Number.MAX_SAFE_INTEGER, which bounds every semver number parseSemver accepts. */
const NUMBER_WIDTH = 16;
const pad = (n: number): string => String(n).padStart(NUMBER_WIDTH, '0');

/**
 * A string whose order is the order in which a floating tag may move: by semver precedence of the
 * release, then (for two spellings of one precedence, `2.8.0` and `v2.8.0`) by the version text so
 * racing publishers agree on one, then by the record's revision, so a rebuild of the version the tag
 * points to moves it along while a stale publisher of an older revision cannot move it back.
 * Only releases get a rank: pre-releases never move floating tags, so the rank has no pre-release part.
 * The separator is a space, which sorts below every character a tag may hold.
 */
export function floatingRank(version: Pick<Semver, 'major' | 'minor' | 'patch'>, versionText: string, revision: number): string {
  return `${pad(version.major)}.${pad(version.minor)}.${pad(version.patch)} ${versionText} ${pad(revision)}`;
}

/**
 * How a pointed-to version compares with another release, for a person: `newer`, `same` (same
 * precedence, another spelling or a rebuild) or `older`. A pointer whose version does not parse
 * (it always does: only releases are claimed) counts as older.
 */
export function comparePointer(pointer: FloatingPointer, other: Semver): 'newer' | 'same' | 'older' {
  const pointed = parseSemver(pointer.version);
  if (pointed === undefined) return 'older';
  const order = compareSemver(pointed, other);
  return order > 0 ? 'newer' : order === 0 ? 'same' : 'older';
}
