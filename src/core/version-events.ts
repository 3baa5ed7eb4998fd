import { computeDigest } from './digest.ts';
import { activeError, missingPlatforms, selectIndexImages } from './readiness.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { type VersionRecord, type VersionState, VersionStates } from './version-record.ts';

/** The outcomes a user acts on, each announced once per change. */
export const VersionOutcomes = {
  published: 'published',
  partiallyPublished: 'partially-published',
  stale: 'stale',
  conflict: 'conflict',
  failed: 'failed',
} as const;
export type VersionOutcome = (typeof VersionOutcomes)[keyof typeof VersionOutcomes];

/**
 * The payload of an outcome event, the same on every destination (the adapters add `registry`).
 * `digest`, `mediaType` and `tags` describe the index the version's tags hold now (null and [] when
 * none); `platforms` are the platforms of the version's images that go into its index.
 */
export interface VersionEventData {
  readonly repository: string;
  readonly version: string;
  readonly state: VersionState;
  readonly digest: string | null;
  readonly mediaType: string | null;
  readonly tags: readonly string[];
  readonly platforms: readonly string[];
  readonly missingPlatforms: readonly string[];
  readonly error: string | null;
  readonly revision: number;
}

/** One announcement: what happened to which version, with an id that every resend repeats. */
export interface VersionEvent {
  readonly id: string;
  readonly outcome: VersionOutcome;
  /** When the outcome was claimed for announcing (ISO 8601); a resend keeps it. */
  readonly time: string;
  readonly data: VersionEventData;
}

const stateOf: Record<VersionOutcome, VersionState> = {
  published: VersionStates.published,
  'partially-published': VersionStates.published,
  stale: VersionStates.stale,
  conflict: VersionStates.conflict,
  failed: VersionStates.failed,
};

/** The event announcing `outcome` of the version as `record` holds it now. */
export function buildVersionEvent(
  outcome: VersionOutcome,
  record: VersionRecord,
  config: RepositoryConfig | undefined,
  time: string,
): VersionEvent {
  const published = record.published;
  const isPublish = outcome === VersionOutcomes.published || outcome === VersionOutcomes.partiallyPublished;
  // A publish is announced for the revision its index was built from, which is the record's unless
  // images arrived while it was being put (they get their own publish).
  const revision = isPublish && published !== undefined ? published.revision : record.revision;
  const error = isPublish ? null : ((activeError(record) ?? record.error)?.message ?? null);
  const data: VersionEventData = {
    repository: record.repository,
    version: record.version,
    state: stateOf[outcome],
    digest: published?.digest ?? null,
    mediaType: published?.mediaType ?? null,
    tags: [...(published?.tags ?? [])],
    platforms:
      config === undefined
        ? []
        : selectIndexImages(config, record)
            .map((image) => image.key)
            .sort(),
    missingPlatforms: isPublish && published !== undefined ? [...(published.missingPlatforms ?? [])] : missingPlatforms(config, record),
    error,
    revision,
  };
  return { id: versionEventId(outcome, data), outcome, time, data };
}

// Within one revision outcomes only move forward: a version found stale may then be published
// partially, fail, be published, and a published one may be found in conflict (its tag moved by
// someone else). A stale or failed outcome found after a publish of the same revision is not news:
// the version still reports published.
const rankInRevision: Record<VersionOutcome, number> = {
  stale: 0,
  failed: 1,
  'partially-published': 2,
  published: 3,
  conflict: 4,
};

/** Orders the outcomes of one version: by revision, then by {@link rankInRevision}. */
export function announcementOrder(outcome: VersionOutcome, revision: number): number {
  return revision * 8 + rankInRevision[outcome];
}

/**
 * The stable id of an outcome: the same version, outcome, revision and index digest (and, for a
 * conflict, the same reason) always give the same id, so a consumer can drop a redelivery by id.
 * A failure is one outcome per revision whatever its message (retries reword transient errors).
 */
export function versionEventId(
  outcome: VersionOutcome,
  data: Pick<VersionEventData, 'repository' | 'version' | 'revision' | 'digest' | 'error'>,
): string {
  const identity = [
    data.repository,
    data.version,
    outcome,
    data.revision,
    data.digest ?? '',
    outcome === VersionOutcomes.conflict ? (data.error ?? '') : '',
  ];
  const hex = computeDigest(new TextEncoder().encode(JSON.stringify(identity))).slice('sha256:'.length);
  // UUID layout (version nibble 8: custom, RFC 9562) so tools that expect a UUID-shaped id accept it.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
