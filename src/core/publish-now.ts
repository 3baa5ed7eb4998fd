import { DomainError, ErrorCodes, RepositoryNotConfiguredError, VersionNotRecordedError } from './errors.ts';
import { recordHistoryQuietly } from './history.ts';
import type { Dependencies, VersionKey } from './ports.ts';
import { reapplyConfig } from './reapply-config.ts';
import { getVersionStatus, type VersionStatus } from './version-status.ts';

export interface PublishNowOptions {
  /** Publish what is there even when required platforms are missing. */
  readonly allowPartial?: boolean;
  /** How long to wait for another publisher before a `busy` error (an HTTP request must answer in time). */
  readonly waitForLeaseMs: number;
}

/**
 * Publishes a version now if it is complete (or partially when allowed) and answers with its status.
 * A version published already gets the current config re-applied: republished only if that changes
 * the index. What stops the publish is thrown, with the version's status in its details:
 * `incomplete` (with `missingPlatforms`), `conflict`, `publish-failed`; a version never recorded and a
 * repository without config are not-found errors.
 */
export async function publishNow(deps: Dependencies, key: VersionKey, options: PublishNowOptions): Promise<VersionStatus> {
  const { repository, version } = key;
  const [record, config] = await Promise.all([deps.store.getVersion(key), deps.store.getRepositoryConfig(repository)]);
  if (record === undefined) throw new VersionNotRecordedError(key);
  if (config === undefined) throw new RepositoryNotConfiguredError(repository);
  const { outcome } = await reapplyConfig(deps, repository, version, {
    allowPartial: options.allowPartial === true,
    waitForLeaseMs: options.waitForLeaseMs,
  });
  await recordHistoryQuietly(deps, repository, version);
  const status = await getVersionStatus(deps, key);
  switch (outcome.kind) {
    case 'published':
    case 'up-to-date':
    case 'handed-over':
      return status;
    case 'waiting':
      throw new DomainError(
        ErrorCodes.incomplete,
        `${repository}:${version} is missing ${outcome.missing.join(', ')}; publish with allowPartial to publish what is there`,
        {
          details: { missingPlatforms: outcome.missing, version: status },
        },
      );
    case 'conflict':
      throw new DomainError(ErrorCodes.conflict, outcome.message, { details: { version: status } });
    case 'failed':
      throw new DomainError(ErrorCodes.publishFailed, outcome.message, { retryable: outcome.retryable, details: { version: status } });
    case 'not-found':
      throw new VersionNotRecordedError(key);
    default:
      throw new DomainError(ErrorCodes.unavailable, 'unexpected publish outcome');
  }
}
