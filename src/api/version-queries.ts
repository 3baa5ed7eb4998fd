import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DomainError, ErrorCodes, NotFoundError } from '../core/errors.ts';
import type { FloatingPointer } from '../core/floating-pointer.ts';
import type { Dependencies } from '../core/ports.ts';
import type { RepositoryConfig } from '../core/repository-config.ts';
import { floatingTemplates } from '../core/target-tags.ts';
import { reapplyConfig } from '../core/reapply-config.ts';
import { requireRepositoryConfig } from '../core/repository-config.ts';
import { recordHistoryQuietly } from '../core/history.ts';
import type { HistoryEntry } from '../core/version-history.ts';
import { toVersionStatus, type VersionStatus } from '../core/version-status.ts';
import { jsonResponse, problemResponse } from './problem.ts';

export async function getVersionStatus(deps: Dependencies, repository: string, version: string): Promise<VersionStatus> {
  const [record, config] = await Promise.all([deps.store.getVersion(repository, version), deps.store.getRepositoryConfig(repository)]);
  if (record === undefined) throw new NotFoundError(`no push of ${repository} version ${version} has been recorded`, { repository, version });
  return toVersionStatus(record, config, deps.clock.now(), await floatingPointers(deps, repository, config));
}

/** The repository's floating tag pointers: one read, and none when the config has no floating template. */
async function floatingPointers(deps: Dependencies, repository: string, config: RepositoryConfig | undefined): Promise<FloatingPointer[]> {
  return config === undefined || floatingTemplates(config).length === 0 ? [] : deps.store.listFloatingTags(repository);
}

/** GET …/history: the version's history, oldest entry first; 404 when the version was never recorded. */
export async function getVersionHistory(
  deps: Dependencies,
  repository: string,
  version: string,
): Promise<{ repository: string; version: string; sequence: number; entries: readonly HistoryEntry[] }> {
  const [record, history] = await Promise.all([deps.store.getVersion(repository, version), deps.store.getHistory(repository, version)]);
  if (record === undefined && history.sequence === 0) throw new NotFoundError(`no push of ${repository} version ${version} has been recorded`, { repository, version });
  return { repository, version, sequence: history.sequence, entries: history.entries };
}

/**
 * One page of versions. With a `state` filter the page is one store page filtered, so it may hold
 * fewer than `limit` versions (even none) while `cursor` still points further: follow the cursor.
 */
export async function listVersionStatuses(
  deps: Dependencies,
  repository: string,
  query: { state?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<{ versions: VersionStatus[]; cursor: string | null }> {
  const config = await deps.store.getRepositoryConfig(repository);
  const [page, pointers] = await Promise.all([
    deps.store.listVersions(repository, { limit: query.limit ?? 50, cursor: query.cursor }),
    floatingPointers(deps, repository, config),
  ]);
  const versions = page.versions.map((record) => toVersionStatus(record, config, deps.clock.now(), pointers)).filter((s) => query.state === undefined || s.state === query.state);
  return { versions, cursor: page.cursor };
}

/**
 * POST …/publish: publishes now if complete (or partially when allowed) and answers with the status.
 * A version published already gets the current config re-applied: republished only if that changes the index.
 */
export async function publishNow(deps: Dependencies, repository: string, version: string, allowPartial: boolean): Promise<APIGatewayProxyStructuredResultV2> {
  const record = await deps.store.getVersion(repository, version);
  if (record === undefined) throw new NotFoundError(`no push of ${repository} version ${version} has been recorded`, { repository, version });
  await requireRepositoryConfig(deps.store, repository);
  // API Gateway answers within 30 s: wait for another publisher 20 s at most, then 503 (retry).
  const { outcome } = await reapplyConfig(deps, repository, version, { allowPartial, waitForLeaseMs: 20_000 });
  await recordHistoryQuietly(deps, repository, version);
  const status = await getVersionStatus(deps, repository, version);
  switch (outcome.kind) {
    case 'published':
    case 'up-to-date':
    case 'handed-over':
      return jsonResponse(200, status);
    case 'waiting':
      return problemResponse(409, `${repository}:${version} is missing ${outcome.missing.join(', ')}; publish with allowPartial to publish what is there`, {
        code: ErrorCodes.incomplete,
        missingPlatforms: outcome.missing,
        version: status,
      });
    case 'conflict':
      return problemResponse(409, outcome.message, { code: ErrorCodes.conflict, version: status });
    case 'failed':
      return problemResponse(502, outcome.message, { version: status });
    case 'not-found':
      throw new NotFoundError(`no push of ${repository} version ${version} has been recorded`, { repository, version });
    default:
      throw new DomainError(ErrorCodes.unavailable, 'unexpected publish outcome');
  }
}
