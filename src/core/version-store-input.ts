import { InvalidInputError } from './errors.ts';
import type { ImagesChange, LeaseRequest } from './ports.ts';

// What every VersionStore checks of its input before it writes anything, so that the DynamoDB store
// and the in-memory one (test/support) refuse the same input with the same error.

/**
 * A change may name each image key once: DynamoDB rejects an update whose document paths overlap
 * (`images.#a` set twice, or set and removed), so such a change is refused before it is sent.
 */
export function checkImagesChange(change: ImagesChange): void {
  const seen = new Set<string>();
  for (const key of [...change.set.map((image) => image.key), ...change.remove]) {
    if (seen.has(key)) throw new InvalidInputError(`change names image ${key} more than once`, 'change', { key });
    seen.add(key);
  }
}

/** Revisions and epoch milliseconds are non-negative integers. */
export function checkCount(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new InvalidInputError(`${field} must be a non-negative integer, got ${value}`, field);
}

export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInputError(`limit must be a positive integer, got ${limit}`, 'limit');
}

export function checkLease(lease: LeaseRequest): void {
  checkCount(lease.now, 'now');
  checkCount(lease.leaseMs, 'leaseMs');
}
