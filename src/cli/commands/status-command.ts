import { type VersionState, VersionStates } from '../../core/version-record.ts';
import type { ApiClient } from '../api-client.ts';
import { ApiError } from '../api-error.ts';
import type { RepositoryConfigBody, VersionStatus } from '../api-types.ts';
import { expectPositionals, isVersionState, type Options, parseLimit, repositoryRef } from '../arg-values.ts';
import { CliError, UsageError } from '../cli-error.ts';
import { formatHistory } from '../format/format-history.ts';
import { formatStatusTable, formatVersionDetail, platformColumns } from '../format/format-status.ts';
import type { Output } from '../output.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand } from './command.ts';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  json: { type: 'boolean' },
  state: { type: 'string' },
  limit: { type: 'string' },
  history: { type: 'boolean' },
} as const satisfies Options;

const HELP = `Usage: manifest-assembler status <repository>[:<version>] [--json] [--history] [--state <state>] [--limit <n>]

With a version: everything known about it. Without: a table with one row per version and one column
per platform (a short image digest, or - when missing), the state and the published index.
Stale, failed and conflict versions are flagged with ! and explained under the table.

Options:
  --json            print the API's answer as JSON
  --history         with a version: what happened to it, oldest first (pushes, publishes, conflicts,
                    drift, repairs; the last 100 entries)
  --state <state>   only versions in this state: waiting, stale, publishing, published, failed or conflict
  --limit <n>       show at most n versions

${CONNECTION_HELP}`;

export interface StatusOptions {
  readonly repository: string;
  readonly version?: string;
  readonly json: boolean;
  readonly state?: VersionState;
  readonly limit?: number;
  /** With a version: its history too (`--history`). */
  readonly history?: boolean;
}

/** `status <repository>[:<version>]`: one version as a block, or every version of a repository as a table. */
export const statusCommand = defineCommand({
  words: ['status'],
  summary: [['status <repository>[:<version>]', 'show one version, or every version of a repository']],
  options: OPTIONS,
  help: HELP,
  parse: (values, positionals): StatusOptions => {
    expectPositionals(positionals, 2, HELP);
    const ref = repositoryRef(positionals[1], HELP);
    const state = values.state;
    if (state !== undefined && !isVersionState(state)) {
      throw new UsageError(`--state "${state}" must be one of ${Object.values(VersionStates).join(', ')}`, HELP);
    }
    if (ref.version !== undefined && (state !== undefined || values.limit !== undefined)) {
      throw new UsageError('--state and --limit apply to a repository, not to one version', HELP);
    }
    if (values.history === true && ref.version === undefined)
      throw new UsageError('--history applies to one version: status <repository>:<version> --history', HELP);
    const limit = values.limit === undefined ? undefined : parseLimit(values.limit, HELP);
    return {
      repository: ref.repository,
      ...(ref.version === undefined ? {} : { version: ref.version }),
      json: values.json === true,
      ...(state === undefined ? {} : { state }),
      ...(limit === undefined ? {} : { limit }),
      ...(values.history === true ? { history: true } : {}),
    };
  },
  run: async (options, { client, output }) => runStatus(await client(), options, output),
});

/** The largest page the API serves (its `limit` is 1 to 100). */
const MAX_PAGE_SIZE = 100;

async function runStatus(client: ApiClient, options: StatusOptions, output: Output): Promise<void> {
  if (options.version !== undefined) {
    const [version, history] = await Promise.all([
      client.getVersion(options.repository, options.version),
      options.history === true ? client.getHistory(options.repository, options.version) : Promise.resolve(undefined),
    ]);
    if (options.json) output.out(JSON.stringify(history === undefined ? version : { ...version, history: history.entries }, null, 2));
    else
      output.out(
        history === undefined ? formatVersionDetail(version) : `${formatVersionDetail(version)}\n\n${formatHistory(history.entries)}`,
      );
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
