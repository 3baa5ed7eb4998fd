import { createHash } from 'node:crypto';

// node:crypto is the only non-core import allowed here: hashing is pure computation, not I/O.

/** The OCI digest (`sha256:<hex>`) of exactly these bytes. */
export function computeDigest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
