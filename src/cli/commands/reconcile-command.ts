import type { ApiClient } from '../api-client.ts';
import type { ReconcileReport } from '../api-types.ts';
import { formatReconcileReport, formatReconcileTotals, hasFailures } from '../format-reconcile.ts';
import type { Output } from '../output.ts';
import { followCursor } from './follow-cursor.ts';

export interface ReconcileOptions {
  /** Undefined: one pass over every configured repository (`POST /v1/reconcile`). */
  readonly repository?: string;
  readonly json: boolean;
}

/**
 * `reconcile`: for one repository, runs page after page until its cursor comes back null and prints
 * each report as it arrives; without one, asks for one pass over every repository. Failures listed
 * in a report are printed, not turned into an exit status (see usage.ts): the request succeeded.
 */
export async function runReconcile(client: ApiClient, options: ReconcileOptions, output: Output): Promise<void> {
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
