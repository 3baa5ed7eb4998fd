/** A response body as {@link readLimited} reads it (the registry transport's response is one). */
export interface LimitedBodySource {
  readonly headers: { get(name: string): string | null };
  /** Leaving the iteration early (a throw) must release the body. */
  readonly body: AsyncIterable<Uint8Array> | null;
  /** Gives up the body unread. */
  cancel(): unknown;
}

/**
 * Reads a response body, holding at most `limit` bytes: a declared Content-Length over the limit is
 * refused before reading, and a streamed body is cut off as soon as it passes the limit. So a
 * hostile or broken registry cannot make us buffer more than we meant to.
 *
 * @param overLimit builds the error thrown when the body is larger than `limit`.
 */
export async function readLimited(source: LimitedBodySource, limit: number, overLimit: (seenBytes: number) => Error): Promise<Uint8Array> {
  const declared = source.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    await source.cancel();
    throw overLimit(Number(declared));
  }
  if (source.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Throwing out of the loop ends the iteration, which cancels the stream (or destroys the socket).
  for await (const chunk of source.body) {
    total += chunk.byteLength;
    if (total > limit) throw overLimit(total);
    chunks.push(chunk);
  }
  // A plain Uint8Array (not a Buffer), whatever the number of chunks, so callers compare like with like.
  const joined = Buffer.concat(chunks);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}

/** {@link readLimited} for a WHATWG `Response` (the global `fetch`'s). */
export function readLimitedBody(response: Response, limit: number, overLimit: (seenBytes: number) => Error): Promise<Uint8Array> {
  const body = response.body;
  return readLimited({ headers: response.headers, body, cancel: () => body?.cancel() }, limit, overLimit);
}
