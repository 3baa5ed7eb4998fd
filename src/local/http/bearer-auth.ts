import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether the request's `Authorization` header is `Bearer <expected>`.
 *
 * Both sides are hashed before the comparison so that timingSafeEqual gets equal lengths and the
 * time taken says nothing about the secret's length or its prefix.
 */
export function hasBearerToken(headers: IncomingHttpHeaders, expected: string): boolean {
  const header = headers.authorization;
  if (typeof header !== 'string') return false;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const presented = match?.[1];
  if (presented === undefined || expected === '') return false;
  return timingSafeEqual(sha256(presented), sha256(expected));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
