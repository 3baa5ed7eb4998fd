import type { ReconcileReport } from '../api-types.ts';
import { formatTextTable } from './text-table.ts';

const INDENT = '  ';

/**
 * The readable summary of one reconcile run: a header with what was looked at, then one labelled
 * line per kind of finding (only the kinds it has). Drift shows both digests in full, since the
 * user will look them up; a tag that no longer exists shows as `none`.
 */
export function formatReconcileReport(report: ReconcileReport): string {
  const header = `${report.repository}: ${plural(report.tagsScanned, 'tag')} scanned, ${plural(report.versionsChecked, 'version')} checked`;
  const fields: [string, string[]][] = [
    ['recovered pushes', listed(report.pushesRecovered)],
    ['published', listed(report.published)],
    ['published partially', listed(report.publishedPartially)],
    ['stale', listed(report.stale)],
    ['floating tags repaired', listed(report.floatingRepaired)],
    [
      'drift',
      report.drift.length === 0
        ? []
        : formatTextTable(
            // The action before the digests: the last column is the one whose width varies (`none`).
            report.drift.map((d) => [d.version, `tag ${d.tag}`, d.action, `expected ${d.expected}`, `actual ${d.actual ?? 'none'}`]),
          ).split('\n'),
    ],
    ['conflicts', report.conflicts.map((c) => `${c.tag}: ${c.message}`)],
    ['failures', report.failures.map((f) => `${f.what}: ${f.error}`)],
  ];
  const present = fields.filter(([, lines]) => lines.length > 0);
  if (present.length === 0) return `${header}; nothing to repair`;
  const width = Math.max(...present.map(([label]) => label.length));
  const lines = present.flatMap(([label, values]) =>
    values.map((value, i) => `${INDENT}${(i === 0 ? label : '').padEnd(width)}  ${value}`),
  );
  return [header, ...lines].join('\n');
}

/**
 * One line adding up several runs: `3 runs, 1200 tags scanned, 40 versions checked, 2 published, 1 failure`.
 * Kinds of finding with none are left out.
 */
export function formatReconcileTotals(reports: readonly ReconcileReport[]): string {
  const sum = (count: (r: ReconcileReport) => number) => reports.reduce((total, r) => total + count(r), 0);
  const findings: [number, string, string][] = [
    [sum((r) => r.pushesRecovered.length), 'push recovered', 'pushes recovered'],
    [sum((r) => r.published.length), 'published', 'published'],
    [sum((r) => r.publishedPartially.length), 'published partially', 'published partially'],
    [sum((r) => r.stale.length), 'stale', 'stale'],
    [sum((r) => r.floatingRepaired.length), 'floating tag repaired', 'floating tags repaired'],
    [sum((r) => r.drift.length), 'drift', 'drift'],
    [sum((r) => r.failures.length), 'failure', 'failures'],
  ];
  const parts = [
    plural(reports.length, 'run'),
    `${plural(
      sum((r) => r.tagsScanned),
      'tag',
    )} scanned`,
    `${plural(
      sum((r) => r.versionsChecked),
      'version',
    )} checked`,
    ...findings.filter(([n]) => n > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`),
  ];
  return parts.join(', ');
}

/** True when a report lists a failure: the run went on, and the next one tries again. */
export function hasFailures(reports: readonly ReconcileReport[]): boolean {
  return reports.some((r) => r.failures.length > 0);
}

function listed(items: readonly string[]): string[] {
  return items.length === 0 ? [] : [items.join(', ')];
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
