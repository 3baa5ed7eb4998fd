import { VersionNotRecordedError } from './errors.ts';
import type { UseCaseDependencies, VersionHistories, VersionKey, VersionReads } from './ports.ts';

/** What a version's history needs: the record and its history. */
type HistoryViewDependencies = UseCaseDependencies<VersionReads & VersionHistories>;

/**
 * A version's history: an append-only, bounded list of what happened to it, with times. Entries
 * are derived from the version record as each writer leaves it (see history.ts), each under an id
 * that names the change it records, so writing the same change twice (a redelivered event, a
 * retried publish) adds nothing, and a change whose writer died before recording it is recorded
 * by the next one to look at the version.
 */
export const HistoryKinds = {
  pushRecorded: 'push-recorded',
  published: 'published',
  publishedPartially: 'published-partially',
  conflict: 'conflict',
  conflictResolved: 'conflict-resolved',
  failed: 'failed',
  driftFound: 'drift-found',
  driftRestored: 'drift-restored',
  repaired: 'repaired',
} as const;
export type HistoryKind = (typeof HistoryKinds)[keyof typeof HistoryKinds];

/** One thing that happened to a version. Fields beyond `id`, `kind`, `at` and `sequence` depend on the kind. */
export interface HistoryEntry {
  /** Names the change (e.g. `push:linux/amd64:sha256:…:2026-…`): the same change always gets the same id. */
  readonly id: string;
  readonly kind: HistoryKind;
  readonly at: string;
  /** 1 for a version's first entry, then one more for each entry appended. */
  readonly sequence: number;
  readonly platform?: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly eventId?: string;
  readonly tags?: readonly string[];
  readonly revision?: number;
  readonly reason?: string;
  readonly missingPlatforms?: readonly string[];
  /** For drift: what the tag pointed to instead of the index. */
  readonly actual?: string | null;
  /** For a reconciler repair: what it did. */
  readonly action?: string;
}

/** The id of the entry of a pushed image: it names the image (platform, digest, tag, the time recorded). */
export function pushEntryId(image: {
  readonly platform?: string;
  readonly digest?: string;
  readonly tag?: string;
  readonly at: string;
}): string {
  return `push:${image.platform}:${image.digest}:${image.tag}:${image.at}`;
}

/** The id of the entry of a publish: it names the index (the record's revision, its digest, the time). */
export function publishEntryId(index: { readonly revision?: number; readonly digest?: string; readonly at: string }): string {
  return `publish:${index.revision}:${index.digest}:${index.at}`;
}

/**
 * The id a push or publish entry has from its own fields ({@link pushEntryId}, {@link publishEntryId}:
 * history.ts names them so), so a store may leave those ids out and put them back. Undefined for the
 * other kinds, whose ids name what their writer saw.
 */
export function derivedEntryId(entry: Omit<HistoryEntry, 'id'>): string | undefined {
  if (entry.kind === HistoryKinds.pushRecorded) return pushEntryId(entry);
  if (entry.kind === HistoryKinds.published || entry.kind === HistoryKinds.publishedPartially) return publishEntryId(entry);
  return undefined;
}

/** What the store keeps per version: the entries kept (the last {@link HISTORY_LIMIT}) and how many were ever appended. */
export interface VersionHistory {
  readonly sequence: number;
  readonly entries: readonly HistoryEntry[];
}

/** How many entries a version's history keeps; older ones are dropped as new ones arrive. */
export const HISTORY_LIMIT = 100;

export const EMPTY_HISTORY: VersionHistory = { sequence: 0, entries: [] };

/** What GET …/versions/{version}/history answers: the entries kept, oldest first, and how many were ever appended. */
export interface VersionHistoryView extends VersionHistory {
  readonly repository: string;
  readonly version: string;
}

/** A version's history; a {@link VersionNotRecordedError} when the version was never recorded. */
export async function getVersionHistory(deps: HistoryViewDependencies, key: VersionKey): Promise<VersionHistoryView> {
  const { repository, version } = key;
  const [record, history] = await Promise.all([deps.store.getVersion(key), deps.store.getHistory(key)]);
  if (record === undefined && history.sequence === 0) throw new VersionNotRecordedError(key);
  return { repository, version, sequence: history.sequence, entries: history.entries };
}
