import { describeNoConfiguration } from './errors.ts';
import { parsePlatform, satisfiesPlatform } from './platform.ts';
import { parseDuration, type RepositoryConfig } from './repository-config.ts';
import { type RecordedImage, type VersionError, type VersionRecord, type VersionState, VersionStates } from './version-record.ts';

/** Required platforms that no recorded image satisfies yet. */
export function missingPlatforms(config: RepositoryConfig | undefined, record: Pick<VersionRecord, 'images'>): string[] {
  if (config === undefined) return [];
  const images = Object.values(record.images);
  return config.requiredPlatforms.filter((text) => {
    const required = parsePlatform(text);
    return !images.some((image) => satisfiesPlatform(image.platform, required));
  });
}

/**
 * The images that go into the index: those satisfying a required or optional platform. An image of a
 * platform the config does not name is recorded (and shown) but not published.
 */
export function selectIndexImages(config: RepositoryConfig, record: Pick<VersionRecord, 'images'>): RecordedImage[] {
  const wanted = [...config.requiredPlatforms, ...config.optionalPlatforms].map(parsePlatform);
  return Object.values(record.images).filter((image) => wanted.some((platform) => satisfiesPlatform(image.platform, platform)));
}

/**
 * The state the API reports (docs/api.md), derived from the record, the current config and the time (never
 * stored, so never out of date). `stale`: still missing platforms `staleAfter` after the first push.
 */
export function deriveState(config: RepositoryConfig | undefined, record: VersionRecord, nowMs: number): VersionState {
  const error = activeError(record);
  if (error?.kind === 'conflict') return VersionStates.conflict;
  // No config (it was deleted): nothing will publish this version, whatever lease or error it holds,
  // so it waits for one; an index published at this revision is still what the tags hold.
  if (config === undefined) return record.published?.revision === record.revision ? VersionStates.published : VersionStates.waiting;
  // A refused push while platforms are missing: nothing will complete the version until someone
  // pushes a fixed image, so it is `failed` (with the refusal as its error), not quietly waiting.
  if (missingPlatforms(config, record).length > 0 && hasRefusals(record)) return VersionStates.failed;
  if (missingPlatforms(config, record).length > 0) return isStale(config, record, nowMs) ? VersionStates.stale : VersionStates.waiting;
  if (record.published?.revision === record.revision) return VersionStates.published;
  if (error?.kind === 'failed') return VersionStates.failed;
  return VersionStates.publishing;
}

/**
 * The error text a status shows: a conflict first (it needs a person), then a missing config (the
 * reason nothing publishes the version), then the active error.
 */
export function describeVersionError(config: RepositoryConfig | undefined, record: VersionRecord): string | undefined {
  const error = activeError(record);
  if (error?.kind === 'conflict') return error.message;
  if (config === undefined) return `${describeNoConfiguration(record.repository)}; set it again to publish this version`;
  return error?.message ?? describeRefusals(record);
}

/** Whether the record keeps a refused push (see {@link VersionRecord.rejected}). */
export function hasRefusals(record: Pick<VersionRecord, 'rejected'>): boolean {
  return Object.keys(record.rejected ?? {}).length > 0;
}

/** The refused pushes, latest first, in one line a person can act on; undefined when there are none. */
export function describeRefusals(record: Pick<VersionRecord, 'rejected'>): string | undefined {
  const refusals = Object.values(record.rejected ?? {}).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const latest = refusals[0];
  if (latest === undefined) return undefined;
  const more =
    refusals.length > 1
      ? ` (and ${refusals.length - 1} more refused push${refusals.length > 2 ? 'es' : ''}: ${refusals
          .slice(1)
          .map((r) => r.tag)
          .join(', ')})`
      : '';
  return `push of ${latest.tag} (${latest.digest}) was refused: ${latest.reason}; push a fixed image under that tag${more}`;
}

/** Whether a version has been waiting for longer than the repository's `staleAfter`. */
export function isStale(config: RepositoryConfig | undefined, record: Pick<VersionRecord, 'createdAt'>, nowMs: number): boolean {
  if (config?.staleAfter == null) return false;
  return nowMs - Date.parse(record.createdAt) >= parseDuration(config.staleAfter);
}

/**
 * The error that applies to the record now: one of its current revision, or a contested-platform
 * conflict, which holds across revisions until a publish clears it.
 */
export function activeError(record: Pick<VersionRecord, 'error' | 'revision'>): VersionError | undefined {
  const { error } = record;
  if (error === undefined) return undefined;
  return error.revision === record.revision || (error.kind === 'conflict' && error.contested !== undefined) ? error : undefined;
}
