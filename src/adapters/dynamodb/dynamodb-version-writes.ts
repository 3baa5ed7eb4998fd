import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { EpochMs, HistoryWrite, ImagesChange, LeaseRequest } from '../../core/ports.ts';
import type { RecordedImage } from '../../core/version-record.ts';
import { HISTORY_ATTRIBUTE, HISTORY_SEQUENCE_ATTRIBUTE, historyAttributes, type Key } from './dynamodb-version-items.ts';

// The pieces of DynamoDbVersionStore's writes that its methods loaded at start
// (dynamodb-version-store.ts) and those loaded on demand (dynamodb-version-store-on-demand.ts) both use.

/** One UpdateItem of the store: it returns the new item, or undefined when its condition failed. */
export interface UpdateRequest {
  readonly key: Key;
  readonly update: string;
  readonly condition?: string;
  readonly values: Record<string, AttributeValue>;
  /** Names beyond the store's own attribute names, such as image keys (which contain '/', '(' and '.'). */
  readonly names?: Record<string, string>;
}

// Condition clauses, named for what they mean (the ports.ts contract states each one).
export const revisionIsExpected = '#revision = :expectedRevision';
export const noLease = 'attribute_not_exists(#lease)';
// The history on the version item is compare-and-set on its sequence. Where the item has none yet,
// its history is the older separate item's (or none), which nothing writes once the record exists
// (see putHistory), so every writer read the same one and expects that one's sequence. The clauses
// of which one must hold: join them with allAndOneOf, or eitherOf where the rest has groups already.
export const historySequenceIsExpected = (expectedSequence: number): readonly string[] =>
  expectedSequence === 0
    ? ['attribute_not_exists(#historySequence)']
    : ['attribute_not_exists(#historySequence)', '#historySequence = :expectedHistorySequence'];

/** One of `alternatives`, as one clause: `(a OR b)`, or `a` alone. */
export function eitherOf(alternatives: readonly string[]): string {
  return alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.join(' OR ')})`;
}

/**
 * Every clause of `all`, and one of `alternatives`, written without parentheses: `all AND a OR all
 * AND b` (AND binds tighter than OR, in DynamoDB as in dynalite). dynalite's condition parser re-reads
 * a parenthesised group once for each kind of condition it tries before the group matches: the record
 * write's condition parses in 0.21 ms written this way against 0.87 ms with its group (warm, on this
 * 2-core VM), and that write is on the path from a push to its version tag. The clauses of `all` may
 * not hold OR or parentheses of their own (a function's are fine), or the result would mean
 * something else: that throws.
 */
export function allAndOneOf(all: readonly string[], alternatives: readonly string[]): string {
  for (const clause of all)
    if (/\bOR\b/.test(clause) || /(^|[^A-Za-z_])\(/.test(clause))
      throw new Error(`allAndOneOf: clause ${JSON.stringify(clause)} holds OR or a group; use eitherOf`);
  return alternatives.map((alternative) => [...all, alternative].join(' AND ')).join(' OR ');
}

/** How the store writes an instant of the ports as a record's timestamp (`createdAt`, `updatedAt`). */
export function iso(now: EpochMs): string {
  return new Date(now).toISOString();
}

/** The lease a {@link LeaseRequest} takes, as the record holds it. */
export function leaseOf(lease: LeaseRequest): { owner: string; until: number } {
  return { owner: lease.owner, until: lease.now + lease.leaseMs };
}

/** The SET clauses that write `write.history` on the version item, their values added to `values`. */
export function settingHistory(write: HistoryWrite, values: Record<string, AttributeValue>): string[] {
  const attributes = historyAttributes(write.history);
  Object.assign(values, { ':history': attributes[HISTORY_ATTRIBUTE], ':historySequence': attributes[HISTORY_SEQUENCE_ATTRIBUTE] });
  if (write.expectedSequence > 0) values[':expectedHistorySequence'] = { N: String(write.expectedSequence) };
  return ['#history = :history', '#historySequence = :historySequence'];
}

/** The images a change sets, by key (a record that does not exist yet, or holds only refusals, has nothing to remove). */
export function imagesSetBy(change: ImagesChange): Record<string, RecordedImage> {
  return Object.fromEntries(change.set.map((image) => [image.key, image]));
}

/** The REMOVE paths of a change's clearError and clearRejected, their names added to `names`. */
export function clearing(change: ImagesChange, names: Record<string, string>): string[] {
  const removes: string[] = [];
  if (change.clearError === true) {
    names['#error'] = 'error';
    removes.push('#error');
  }
  (change.clearRejected ?? []).forEach((tag, i) => {
    names['#rejected'] = 'rejected';
    names[`#clearRejected${i}`] = tag;
    removes.push(`#rejected.#clearRejected${i}`);
  });
  return removes;
}
