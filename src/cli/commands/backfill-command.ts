import type { ApiClient } from '../api-client.ts';
import type { ReconcileReport, RepublishReport } from '../api-types.ts';
import { formatBackfillPlan } from '../format-backfill.ts';
import { formatReconcileReport, formatReconcileTotals, hasFailures } from '../format-reconcile.ts';
import { formatRepublish } from '../format-republish.ts';
import type { Output } from '../output.ts';
import { followCursor } from './follow-cursor.ts';

export interface BackfillOptions {
  readonly repository: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  /** Re-apply the current config to every version recorded instead of reading the registry's tags. */
  readonly republish?: boolean;
}

/**
 * `backfill`: with --dry-run, the plan (nothing written); otherwise requests until the cursor comes
 * back null, printing each run's report as it arrives and a line of totals at the end. Failures in
 * the reports are printed; the exit status stays 0 (see usage.ts).
 */
export async function runBackfill(client: ApiClient, options: BackfillOptions, output: Output): Promise<void> {
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
