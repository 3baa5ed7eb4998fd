import type { BackfillPlan } from '../api-types.ts';
import { formatTextTable } from './text-table.ts';

const MISSING = '-';
const FLAG = '!';

/**
 * The readable dry-run plan of `backfill --dry-run`: one row per version found in the per-arch tags
 * with its platforms, the required platforms it misses and what a backfill would do (conflicts
 * flagged with `!`), then the tags that could not be read and a line of totals.
 */
export function formatBackfillPlan(plan: BackfillPlan): string {
  const header = `${plan.repository}: ${plan.tagsScanned} tag${plan.tagsScanned === 1 ? '' : 's'} scanned, ${plan.versions.length} version${plan.versions.length === 1 ? '' : 's'} found`;
  const blocks = [header];
  if (plan.versions.length > 0) {
    const rows = plan.versions.map((v) => [
      v.version,
      list(v.platforms),
      list(v.missingPlatforms),
      v.action === 'publish' || v.action === 'wait' ? v.action : `${v.action} ${FLAG}`,
    ]);
    blocks.push(formatTextTable([['VERSION', 'PLATFORMS', 'MISSING', 'ACTION'], ...rows]));
  }
  if (plan.problems.length > 0) {
    blocks.push(['Tags that could not be used:', ...plan.problems.map((p) => `${FLAG} ${p.tag}: ${p.error}`)].join('\n'));
  }
  blocks.push(describeOutcome(plan));
  return blocks.join('\n\n');
}

function describeOutcome(plan: BackfillPlan): string {
  if (plan.versions.length === 0) {
    return 'Nothing to backfill: no unpublished per-arch tag matches the tag pattern.';
  }
  const count = (action: string) => plan.versions.filter((v) => v.action === action).length;
  const publish = count('publish');
  const wait = count('wait');
  const other = plan.versions.length - publish - wait;
  const parts = [
    `would publish ${publish} version${publish === 1 ? '' : 's'}`,
    ...(wait === 0 ? [] : [`${wait} would wait for missing platforms`]),
    ...(other === 0 ? [] : [`${other} would not be published (flagged ${FLAG})`]),
  ];
  const next = publish === 0 ? '' : `\nRun 'manifest-assembler backfill ${plan.repository}' without --dry-run to do it.`;
  return `A backfill ${parts.join('; ')}.${next}`;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? MISSING : items.join(',');
}
