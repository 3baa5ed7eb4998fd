import { InvalidInputError } from '../../core/errors.ts';
import type { FloatingPointer } from '../../core/floating-pointer.ts';
import { fromAttributeMap, toAttributeMap } from './dynamodb-codec.ts';
import { type Item, inRepository, itemKey, type Key, repositoryPartition, VERSION_PREFIX } from './dynamodb-version-items.ts';

// The layout of the items only the store's methods loaded on demand read or write
// (dynamodb-version-store-on-demand.ts): floating tag pointers, checkpoints, page cursors. The rest
// of the layout, which a cold start needs, is in dynamodb-version-items.ts.

export const FLOATING_PREFIX = 'FLOAT#';
export const floatingKey = (repository: string, tag: string): Key => inRepository(repository, FLOATING_PREFIX + tag);
export const checkpointKey = (name: string): Key => itemKey('CHECKPOINTS', name);

/** A floating tag pointer as an item: its fields next to the key. */
export function toFloatingItem(repository: string, pointer: FloatingPointer): Item {
  return { ...toAttributeMap(pointer), ...floatingKey(repository, pointer.tag) };
}

export function fromFloatingItem(item: Item): FloatingPointer {
  const { pk: _pk, sk: _sk, ...fields } = fromAttributeMap(item);
  if (typeof fields.rank !== 'string' || typeof fields.digest !== 'string') {
    throw new Error(`DynamoDB item ${String(_pk)} ${String(_sk)} is not a floating tag pointer (no rank or digest)`);
  }
  return fields as unknown as FloatingPointer;
}

/**
 * Page cursors are the key of the last version returned, as base64url JSON: opaque to callers,
 * and checked on the way back in so that a cursor made up, damaged or taken from another
 * repository is a 400 that names `cursor`, not a DynamoDB ValidationException.
 */
export function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify({ pk: key.pk.S, sk: key.sk.S })).toString('base64url');
}

export function decodeCursor(cursor: string, repository: string): Key {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const pk = (parsed as { pk?: unknown } | undefined)?.pk;
  const sk = (parsed as { sk?: unknown } | undefined)?.sk;
  if (pk !== repositoryPartition(repository) || typeof sk !== 'string' || !sk.startsWith(VERSION_PREFIX)) {
    throw new InvalidInputError(`cursor "${truncate(cursor)}" is not a cursor of ${repository}'s versions`, 'cursor');
  }
  return itemKey(pk, sk);
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
