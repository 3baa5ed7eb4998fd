import type { VersionState } from '../../core/version-record.ts';
import type { ApiClient } from '../api-client.ts';
import { ApiError } from '../api-error.ts';
import type { RepositoryConfigBody, VersionStatus } from '../api-types.ts';
import { CliError } from '../cli-error.ts';
import { formatHistory } from '../format-history.ts';
import { formatStatusTable, formatVersionDetail, platformColumns } from '../format-status.ts';
import type { Output } from '../output.ts';

export interface StatusOptions {
  readonly repository: string;
  readonly version?: string;
  readonly json: boolean;
  readonly state?: VersionState;
  readonly limit?: number;
  /** With a version: its history too (`--history`). */
  readonly history?: boolean;
}

/** The largest page the API serves (its `limit` is 1 to 100). */
const MAX_PAGE_SIZE = 100;

/** `status`: one version as a block, or every version of a repository as a table (all pages). */
export async function runStatus(client: ApiClient, options: StatusOptions, output: Output): Promise<void> {
  if (options.version !== undefined) {
    const [version, history] = await Promise.all([
      client.getVersion(options.repository, options.version),
      options.history === true ? client.getHistory(options.repository, options.version) : Promise.resolve(undefined),
    ]);
    if (options.json) output.out(JSON.stringify(history === undefined ? version : { ...version, history: history.entries }, null, 2));
    else output.out(history === undefined ? formatVersionDetail(version) : `${formatVersionDetail(version)}\n\n${formatHistory(history.entries)}`);
    return;
  }
  const [versions, config] = await Promise.all([
    listAllVersions(client, options),
    options.json ? Promise.resolve(undefined) : getConfigIfAny(client, options.repository),
  ]);
  if (options.json) {
    output.out(JSON.stringify({ versions, cursor: null }, null, 2));
  } else if (versions.length === 0) {
    output.out(`No versions of ${options.repository}${options.state === undefined ? '' : ` in state ${options.state}`} yet.`);
  } else {
    output.out(formatStatusTable(versions, platformColumns(config, versions)));
  }
}

/** Follows the cursor until the API says there is no more, or `limit` versions are in. */
async function listAllVersions(client: ApiClient, options: StatusOptions): Promise<VersionStatus[]> {
  const versions: VersionStatus[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const remaining = options.limit === undefined ? undefined : options.limit - versions.length;
    const page = await client.listVersions(options.repository, {
      ...(options.state === undefined ? {} : { state: options.state }),
      ...(remaining === undefined ? {} : { limit: Math.min(remaining, MAX_PAGE_SIZE) }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    versions.push(...page.versions);
    if (page.cursor === null || (options.limit !== undefined && versions.length >= options.limit)) break;
    // A cursor seen before would page forever.
    if (seen.has(page.cursor)) throw new CliError(`the API returned the cursor "${page.cursor}" twice while listing ${options.repository}`);
    seen.add(page.cursor);
    cursor = page.cursor;
  }
  return options.limit === undefined ? versions : versions.slice(0, options.limit);
}

/** The config gives the platform columns; without one (deleted since), the versions' own platforms do. */
async function getConfigIfAny(client: ApiClient, repository: string): Promise<RepositoryConfigBody | undefined> {
  try {
    return await client.getConfig(repository);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}
