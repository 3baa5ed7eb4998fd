import type { ApiClient } from '../api-client.ts';
import type { ReconcileReport } from '../api-types.ts';
import { type Options, repositoryArgument } from '../arg-values.ts';
import { formatReconcileReport, formatReconcileTotals, hasFailures } from '../format/format-reconcile.ts';
import type { Output } from '../output.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand, REPORT_EXIT_STATUS_HELP } from './command.ts';
import { followCursor } from './follow-cursor.ts';

const OPTIONS = { ...CONNECTION_OPTIONS, json: { type: 'boolean' } } as const satisfies Options;

const HELP = `Usage: manifest-assembler reconcile [<repository>] [--json]

Repairs what missed events left behind, as the scheduled reconcile does: records per-arch tags whose
push was never recorded, publishes versions that are complete but not published (or stale ones,
partially, where the config says onStale: publish-partial), and checks that published tags still
point at their index. A tag moved by someone else is drift: reported (the version is marked
conflict) or restored (pointed at the index again), as the config's onDrift says.

With a repository: runs page after page until the whole repository is covered, and prints a summary
of each page. Without: one pass over every configured repository, as far as the API's time allows
(the next pass resumes where this one stopped).

Options:
  --json   print the API's reports as JSON: {"reports": [...]}

${REPORT_EXIT_STATUS_HELP}

${CONNECTION_HELP}`;

export interface ReconcileOptions {
  /** Undefined: one pass over every configured repository (`POST /v1/reconcile`). */
  readonly repository?: string;
  readonly json: boolean;
}

/**
 * `reconcile [<repository>]`: for one repository, runs page after page until its cursor comes back
 * null and prints each report as it arrives; without one, asks for one pass over every repository.
 * Failures listed in a report are printed, not turned into an exit status (see the help): the
 * request succeeded.
 */
export const reconcileCommand = defineCommand({
  words: ['reconcile'],
  summary: [['reconcile [<repository>]', 'repair what missed events left behind, and find moved tags']],
  options: OPTIONS,
  help: HELP,
  parse: (values, positionals): ReconcileOptions => {
    const json = values.json === true;
    if (positionals.length === 1) return { json };
    return { repository: repositoryArgument(positionals, 1, HELP), json };
  },
  run: async (options, { client, output }) => runReconcile(await client(), options, output),
});

async function runReconcile(client: ApiClient, options: ReconcileOptions, output: Output): Promise<void> {
  if (options.repository === undefined) return runReconcileAll(client, options.json, output);
  const repository = options.repository;
  const reports: ReconcileReport[] = [];
  await followCursor(
    `reconciling ${repository}`,
    (cursor) => client.reconcile(repository, cursor),
    (report) => report.cursor,
    (report) => {
      reports.push(report);
      if (!options.json) output.out(formatReconcileReport(report));
    },
  );
  if (options.json) {
    output.out(JSON.stringify({ reports }, null, 2));
    return;
  }
  printClosing(reports, output);
}

async function runReconcileAll(client: ApiClient, json: boolean, output: Output): Promise<void> {
  const { reports } = await client.reconcileAll();
  if (json) {
    output.out(JSON.stringify({ reports }, null, 2));
    return;
  }
  if (reports.length === 0) {
    output.out('No repository was reconciled: none is configured.');
    return;
  }
  for (const report of reports) output.out(formatReconcileReport(report));
  printClosing(reports, output);
  // The API stops a pass before its time budget runs out; the last report then has a cursor.
  const last = reports.at(-1);
  if (last !== undefined && last.cursor !== null) {
    output.out(`The pass ran out of time in ${last.repository}; run reconcile again to go on from there.`);
  }
}

function printClosing(reports: readonly ReconcileReport[], output: Output): void {
  if (reports.length > 1) output.out(`\nTotal: ${formatReconcileTotals(reports)}`);
  if (hasFailures(reports)) output.out('The failures listed above are tried again by the next reconcile.');
}
