import { DomainError, describeError, ErrorCodes } from './errors.ts';
import type { HistoryWrite, UseCaseDependencies, VersionHistories, VersionReads } from './ports.ts';
import { activeError } from './readiness.ts';
import { HISTORY_LIMIT, type HistoryEntry, HistoryKinds, publishEntryId, pushEntryId, type VersionHistory } from './version-history.ts';
import type { VersionRecord } from './version-record.ts';

/** What appending to a version's history needs. */
type HistoryDependencies = UseCaseDependencies<VersionReads & VersionHistories, 'clock' | 'logger'>;

/** An entry a caller adds beside those derived from the record (drift, repairs), without its sequence. */
export type HistoryNote = Omit<HistoryEntry, 'sequence'>;

/** What the caller knows about the change it just made, beyond the record. */
export interface HistoryContext {
  /** The push event being handled: recorded on the push entries of its tag. */
  readonly eventId?: string;
  readonly tag?: string;
  readonly notes?: readonly HistoryNote[];
}

/** What a caller already read or wrote: the record as it left it and the history as it read it. */
export interface KnownState {
  readonly record?: VersionRecord;
  readonly history?: VersionHistory;
}

/** How often an append re-reads after another writer appended first. */
const MAX_APPEND_ATTEMPTS = 8;

/**
 * Brings a version's history up to date with its record: appends an entry for each change the
 * record shows that the history lacks (each image pushed, the index published, a conflict or a
 * failure, a conflict settled), plus the caller's notes. Idempotent: an entry's id names its
 * change, so calling it again, or after a writer that died between its change and this call,
 * appends only what is missing. With `known`, the record and history the caller holds are used
 * instead of reading them. Throws a retryable error when the store is unavailable, so the
 * event is retried and its history written then.
 */
export async function recordHistory(
  deps: HistoryDependencies,
  repository: string,
  version: string,
  context: HistoryContext = {},
  known: KnownState = {},
): Promise<void> {
  const key = { repository, version };
  let record = known.record ?? (await deps.store.getVersion(key));
  if (record === undefined && (context.notes ?? []).length === 0) return;
  for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
    // What the caller holds first; once another writer appended, both are read again (a history
    // newer than the record could otherwise read a conflict the record predates as resolved).
    if (attempt > 1 && known.record !== undefined) record = await deps.store.getVersion(key);
    const history = attempt > 1 || known.history === undefined ? await deps.store.getHistory(key) : known.history;
    const next = appendMissing(history, [
      ...(record === undefined ? [] : entriesOf(record, history, context, deps.clock.now())),
      ...(context.notes ?? []),
    ]);
    if (next === undefined) return;
    if (await deps.store.putHistory(key, { history: next, expectedSequence: history.sequence })) return;
  }
  const message = `the history of ${repository}:${version} kept changing under ${MAX_APPEND_ATTEMPTS} appends`;
  deps.logger.warn(message, { repository, version });
  throw new DomainError(ErrorCodes.busy, message, { retryable: true });
}

/**
 * Like {@link recordHistory}, for callers whose own work is done and must not fail for the history:
 * a failure is logged with what was not recorded (the next writer or reconcile pass records it).
 */
export async function recordHistoryQuietly(
  deps: HistoryDependencies,
  repository: string,
  version: string,
  context: HistoryContext = {},
): Promise<void> {
  try {
    await recordHistory(deps, repository, version, context);
  } catch (error) {
    deps.logger.warn('history not recorded now; the next change or reconcile pass records it', {
      repository,
      version,
      error: describeError(error),
    });
  }
}

/**
 * The history to write with a change of the record, in the same write (updateImages,
 * completePublish): `known` brought up to date with `record` as that write will leave it, the same
 * entries {@link recordHistory} would append after it. Undefined when nothing is new.
 */
export function historyWriteFor(
  known: VersionHistory,
  record: VersionRecord,
  context: HistoryContext,
  nowMs: number,
): HistoryWrite | undefined {
  const next = appendMissing(known, [...entriesOf(record, known, context, nowMs), ...(context.notes ?? [])]);
  return next === undefined ? undefined : { history: next, expectedSequence: known.sequence };
}

/** The history with the entries whose ids it does not hold yet, bounded; undefined when nothing is new. */
export function appendMissing(history: VersionHistory, wanted: readonly HistoryNote[]): VersionHistory | undefined {
  const known = new Set(history.entries.map((e) => e.id));
  const fresh: HistoryEntry[] = [];
  for (const note of [...wanted].sort(byTime)) {
    if (known.has(note.id)) continue;
    known.add(note.id);
    fresh.push({ ...note, sequence: history.sequence + fresh.length + 1 });
  }
  if (fresh.length === 0) return undefined;
  return { sequence: history.sequence + fresh.length, entries: [...history.entries, ...fresh].slice(-HISTORY_LIMIT) };
}

/** The entries a record implies: its images' pushes, its publish, its error, and a conflict it no longer has. */
export function entriesOf(record: VersionRecord, history: VersionHistory, context: HistoryContext, nowMs: number): HistoryNote[] {
  const entries: HistoryNote[] = [];
  for (const image of Object.values(record.images)) {
    entries.push({
      id: pushEntryId({ platform: image.key, digest: image.digest, tag: image.tag, at: image.pushedAt }),
      kind: HistoryKinds.pushRecorded,
      at: image.pushedAt,
      platform: image.key,
      tag: image.tag,
      digest: image.digest,
      ...(context.eventId !== undefined && context.tag === image.tag ? { eventId: context.eventId } : {}),
    });
  }
  const { published } = record;
  if (published !== undefined) {
    const partial = (published.missingPlatforms?.length ?? 0) > 0;
    entries.push({
      id: publishEntryId(published),
      kind: partial ? HistoryKinds.publishedPartially : HistoryKinds.published,
      at: published.at,
      digest: published.digest,
      tags: published.tags,
      revision: published.revision,
      ...(partial ? { missingPlatforms: published.missingPlatforms } : {}),
    });
  }
  const error = activeError(record);
  if (error !== undefined) {
    entries.push({
      id: `${error.kind}:${error.revision}:${error.at}`,
      kind: error.kind === 'conflict' ? HistoryKinds.conflict : HistoryKinds.failed,
      at: error.at,
      reason: error.message,
      revision: error.revision,
    });
  }
  const lastConflict = [...history.entries]
    .reverse()
    .find((e) => e.kind === HistoryKinds.conflict || e.kind === HistoryKinds.conflictResolved);
  if (lastConflict?.kind === HistoryKinds.conflict && error?.kind !== 'conflict') {
    entries.push({
      id: `resolved:${lastConflict.id}`,
      kind: HistoryKinds.conflictResolved,
      at: new Date(nowMs).toISOString(),
      reason: lastConflict.reason ?? '',
    });
  }
  return entries;
}

function byTime(a: HistoryNote, b: HistoryNote): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : 0;
}
