/**
 * Several notification endpoints for one runner. distribution (2.8) gives every endpoint in its
 * config its own queue and delivers each endpoint's events one at a time, waiting for each answer;
 * every endpoint receives every event. With N endpoints to the same webhook, each naming its share
 * in the URL (`?share=2&of=4`), the webhook records a push only at the endpoint whose share it is
 * and answers the others at once, so N deliveries are in flight instead of one. The share is a hash
 * of repository and tag: the pushes of one tag stay in one endpoint's queue, in the order the
 * registry sent them.
 */

/** Endpoints at most: each delivers every event, so each costs one request per event. */
export const MAX_NOTIFICATION_SHARES = 16;

/** One endpoint's share: the `share`-th of `of` (1-based). */
export interface NotificationShare {
  readonly share: number;
  readonly of: number;
}

/** The share a push of `repository:tag` belongs to, 1 to `of` (FNV-1a over the UTF-16 code units). */
export function shareOf(repository: string, tag: string, of: number): number {
  const key = `${repository}:${tag}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % of) + 1;
}

/** The query an endpoint's URL carries. */
export function shareQuery({ share, of }: NotificationShare): string {
  return `share=${share}&of=${of}`;
}

/**
 * Reads an endpoint's share from a request URL's query: undefined without one (a registry with one
 * endpoint: every push is this endpoint's), an Error for a malformed or impossible one.
 */
export function readShare(requestUrl: string): NotificationShare | undefined | Error {
  const query = new URLSearchParams(requestUrl.split('?')[1] ?? '');
  const share = query.get('share');
  const of = query.get('of');
  if (share === null && of === null) return undefined;
  const s = Number(share);
  const n = Number(of);
  if (!Number.isInteger(s) || !Number.isInteger(n) || n < 1 || n > MAX_NOTIFICATION_SHARES || s < 1 || s > n) {
    return new Error(`share=${share ?? ''}&of=${of ?? ''} is not a share from 1 to of (of from 1 to ${MAX_NOTIFICATION_SHARES})`);
  }
  return { share: s, of: n };
}
