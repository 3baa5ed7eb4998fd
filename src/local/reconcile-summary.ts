import type { LogFields } from '../core/ports.ts';
import type { ReconcileReport } from '../core/reconcile.ts';
import type { LogLevel } from './console-logger.ts';

/** The one log line a local reconcile pass ends with. */
export interface ReconcilePassLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/**
 * Sums up one reconcile pass: at info what it repaired, at warn when something failed or a version
 * tag was moved by someone else, at debug when there was nothing to do (a pass runs every minute;
 * a quiet one is not news). Names are `repository:tag` or `repository:version`, comma-separated so
 * the console logger prints them unquoted.
 */
export function summariseReconcilePass(reports: readonly ReconcileReport[], ms: number): ReconcilePassLine {
  const qualified = (pick: (report: ReconcileReport) => readonly string[]): string[] =>
    reports.flatMap((report) => pick(report).map((name) => `${report.repository}:${name}`));
  const recovered = qualified((r) => r.pushesRecovered);
  const published = qualified((r) => r.published);
  const partial = qualified((r) => r.publishedPartially);
  const stale = qualified((r) => r.stale);
  const floating = qualified((r) => r.floatingRepaired);
  const drift = reports.flatMap((r) => r.drift.map((d) => `${r.repository}:${d.tag}(${d.action})`));
  const failures = reports.flatMap((r) => r.failures.map((f) => `${f.what}: ${f.error}`));
  const conflicts = reports.flatMap((r) => (r.conflicts ?? []).map((c) => `${r.repository}:${c.tag}`));
  const counts: Array<[number, string, string]> = [
    [recovered.length, 'lost push recovered', 'lost pushes recovered'],
    [published.length, 'version published', 'versions published'],
    [partial.length, 'stale version published partially', 'stale versions published partially'],
    [stale.length, 'version stale', 'versions stale'],
    [floating.length, 'floating tag repaired', 'floating tags repaired'],
    [drift.length, 'version tag moved elsewhere', 'version tags moved elsewhere'],
    [conflicts.length, 'per-arch tag in conflict', 'per-arch tags in conflict'],
    [failures.length, 'failure', 'failures'],
  ];
  const said = counts.filter(([n]) => n > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
  const scope: LogFields = {
    repositories: new Set(reports.map((r) => r.repository)).size,
    tagsScanned: sum(reports.map((r) => r.tagsScanned)),
    versionsChecked: sum(reports.map((r) => r.versionsChecked)),
    ms: Math.round(ms),
  };
  if (said.length === 0) return { level: 'debug', message: 'reconcile pass: nothing to repair', fields: scope };
  const list = (names: string[]): string | undefined => (names.length === 0 ? undefined : names.join(','));
  return {
    level: failures.length > 0 || drift.length > 0 || conflicts.length > 0 ? 'warn' : 'info',
    message: `reconcile pass: ${said.join(', ')}`,
    fields: {
      recovered: list(recovered),
      published: list(published),
      publishedPartially: list(partial),
      stale: list(stale),
      floatingRepaired: list(floating),
      drift: list(drift),
      conflicts: list(conflicts),
      // Errors hold spaces; the logger quotes them as one JSON string.
      failures: failures.length === 0 ? undefined : failures.join('; '),
      ...scope,
    },
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
