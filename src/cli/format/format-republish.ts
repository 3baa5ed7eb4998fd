import type { RepublishReport } from '../api-types.ts';
import { shortDigest } from './format-status.ts';
import { formatTextTable } from './text-table.ts';

const NONE = '-';

/**
 * The readable result of `backfill --republish` (or its dry run), over every page: one row per
 * version whose index changes (old → new digest, platforms added and removed, per-arch tags that
 * moved), then the versions left alone and why, then a line of totals.
 */
export function formatRepublish(repository: string, reports: readonly RepublishReport[], dryRun: boolean): string {
  const changed = reports.flatMap((r) => r.changed);
  const waiting = reports.flatMap((r) => r.waiting);
  const conflicts = reports.flatMap((r) => r.conflicts);
  const failures = reports.flatMap((r) => r.failures);
  const checked = reports.reduce((sum, r) => sum + r.versionsChecked, 0);
  const unchanged = reports.reduce((sum, r) => sum + r.unchanged, 0);
  const blocks = [`${repository}: ${checked} version${checked === 1 ? '' : 's'} checked against the current config`];
  if (changed.length > 0) {
    const rows = changed.map((c) => [
      c.version,
      c.from === null ? NONE : shortDigest(c.from),
      c.to === null ? 're-read first' : shortDigest(c.to),
      list(c.platformsAdded),
      list(c.platformsRemoved),
      list(c.movedTags),
    ]);
    blocks.push(formatTextTable([['VERSION', 'FROM', 'TO', 'ADDED', 'REMOVED', 'MOVED TAGS'], ...rows]));
  }
  const notes = [
    ...waiting.map((w) => `  ${w.version}: waits for ${list(w.missingPlatforms)} (not republished)`),
    ...conflicts.map((c) => `! ${c.version}: ${c.message}`),
    ...failures.map((f) => `! ${f.what}: ${f.error}`),
  ];
  if (notes.length > 0) blocks.push(notes.join('\n'));
  const verb = dryRun ? 'Would republish' : 'Republished';
  const totals =
    `${verb} ${changed.length} version${changed.length === 1 ? '' : 's'}; ${unchanged} unchanged` +
    `${waiting.length === 0 ? '' : `; ${waiting.length} waiting`}${conflicts.length === 0 ? '' : `; ${conflicts.length} in conflict`}` +
    `${failures.length === 0 ? '' : `; ${failures.length} failed (run it again)`}.`;
  const next =
    dryRun && changed.length > 0 ? `\nRun 'manifest-assembler backfill ${repository} --republish' without --dry-run to do it.` : '';
  blocks.push(`${totals}${next}`);
  return blocks.join('\n\n');
}

function list(items: readonly string[]): string {
  return items.length === 0 ? NONE : items.join(',');
}
