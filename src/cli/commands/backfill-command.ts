import type { ApiClient } from '../api-client.ts';
import type { ReconcileReport, RepublishReport } from '../api-types.ts';
import { type Options, repositoryArgument } from '../arg-values.ts';
import { formatBackfillPlan } from '../format/format-backfill.ts';
import { formatReconcileReport, formatReconcileTotals, hasFailures } from '../format/format-reconcile.ts';
import { formatRepublish } from '../format/format-republish.ts';
import type { Output } from '../output.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand, REPORT_EXIT_STATUS_HELP } from './command.ts';
import { followCursor } from './follow-cursor.ts';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  republish: { type: 'boolean' },
} as const satisfies Options;

const HELP = `Usage: manifest-assembler backfill <repository> [--republish] [--dry-run] [--json]

Assembles the versions whose per-arch images are already in the registry (pushed before the
repository was configured, say): reads every per-arch tag, records the images, and publishes each
version that has every required platform.

With --republish: re-applies the repository's current config to every version recorded. Each
index is rebuilt from the current config and the images its per-arch tags point at now, and put
only where it differs from the published one (a platform removed or added, other target tags, another
index media type). A version published partially stays partial; one missing a newly required
platform is left as published and listed.

Options:
  --republish re-apply the current config to the versions already recorded (see above)
  --dry-run   write nothing: list each version found, its platforms, the required platforms it
              misses, and what a backfill would do (publish, wait, or conflict); with --republish,
              each version whose index would change: old → new digest, platforms added and removed
  --json      print the API's answer as JSON (the plan; or {"reports": [...]})

${REPORT_EXIT_STATUS_HELP}

${CONNECTION_HELP}`;

export interface BackfillOptions {
  readonly repository: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  /** Re-apply the current config to every version recorded instead of reading the registry's tags. */
  readonly republish?: boolean;
}

/**
 * `backfill <repository>`: with --dry-run, the plan (nothing written); otherwise requests until the
 * cursor comes back null, printing each run's report as it arrives and a line of totals at the end.
 * Failures in the reports are printed; the exit status stays 0 (see the help).
 */
export const backfillCommand = defineCommand({
  words: ['backfill'],
  summary: [
    ['backfill <repository> [--dry-run]', 'publish the versions already in the registry'],
    ['         [--republish]', '(or re-apply the current config to every published version)'],
  ],
  options: OPTIONS,
  help: HELP,
  parse: (values, positionals): BackfillOptions => ({
    repository: repositoryArgument(positionals, 1, HELP),
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    ...(values.republish === true ? { republish: true } : {}),
  }),
  run: async (options, { client, output }) => runBackfill(await client(), options, output),
});

async function runBackfill(client: ApiClient, options: BackfillOptions, output: Output): Promise<void> {
  const { repository } = options;
  if (options.republish === true) return runRepublish(client, options, output);
  if (options.dryRun) {
    const plan = await client.planBackfill(repository);
    output.out(options.json ? JSON.stringify(plan, null, 2) : formatBackfillPlan(plan));
    return;
  }
  const reports: ReconcileReport[] = [];
  await followCursor(
    `backfilling ${repository}`,
    (cursor) => client.backfill(repository, cursor),
    (run) => run.cursor,
    (run) => {
      reports.push(...run.reports);
      if (!options.json) for (const report of run.reports) output.out(formatReconcileReport(report));
    },
  );
  if (options.json) {
    output.out(JSON.stringify({ reports, cursor: null }, null, 2));
    return;
  }
  output.out(`\nBackfilled ${repository}: ${formatReconcileTotals(reports)}`);
  if (hasFailures(reports)) output.out('The failures listed above are tried again by the next reconcile (or run backfill again).');
}

/** `backfill --republish [--dry-run]`: every page of versions, then one table of what changed. */
async function runRepublish(client: ApiClient, options: BackfillOptions, output: Output): Promise<void> {
  const reports: RepublishReport[] = [];
  await followCursor(
    `republishing ${options.repository}`,
    (cursor) => client.republish(options.repository, { dryRun: options.dryRun, ...(cursor === undefined ? {} : { cursor }) }),
    (page) => page.cursor,
    (page) => reports.push(page),
  );
  output.out(options.json ? JSON.stringify({ reports }, null, 2) : formatRepublish(options.repository, reports, options.dryRun));
}
