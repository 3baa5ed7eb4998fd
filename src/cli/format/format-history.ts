import type { HistoryEntryBody } from '../api-types.ts';

/**
 * A version's history as lines, oldest first: time, what happened, and the fields that say to
 * what (`2026-11-27T10:00:00.000Z  push-recorded  linux/amd64 2.7-amd64 sha256:0123456789ab event e-1`).
 */
export function formatHistory(entries: readonly HistoryEntryBody[]): string {
  if (entries.length === 0) return 'History: nothing recorded yet.';
  const width = Math.max(...entries.map((e) => e.kind.length));
  return ['History:', ...entries.map((e) => `  ${e.at}  ${e.kind.padEnd(width)}  ${describe(e)}`.trimEnd())].join('\n');
}

function describe(entry: HistoryEntryBody): string {
  const parts: string[] = [];
  if (entry.platform !== undefined) parts.push(entry.platform);
  if (entry.tag !== undefined) parts.push(entry.tag);
  if (entry.digest !== undefined) parts.push(shortDigest(entry.digest));
  if (entry.tags !== undefined) parts.push(`tags ${entry.tags.join(', ')}`);
  if (entry.revision !== undefined) parts.push(`revision ${entry.revision}`);
  if (entry.missingPlatforms !== undefined && entry.missingPlatforms.length > 0) parts.push(`missing ${entry.missingPlatforms.join(', ')}`);
  if (entry.actual !== undefined) parts.push(`tag points to ${entry.actual === null ? 'nothing' : shortDigest(entry.actual)}`);
  if (entry.action !== undefined) parts.push(entry.action);
  if (entry.eventId !== undefined) parts.push(`event ${entry.eventId}`);
  if (entry.reason !== undefined) parts.push(`: ${entry.reason}`);
  return parts.join(' ').replace(' : ', ': ');
}

function shortDigest(digest: string): string {
  return digest.length > 19 ? digest.slice(0, 19) : digest;
}
