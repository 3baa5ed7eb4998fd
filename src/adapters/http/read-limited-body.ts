/**
 * Reads a response body, holding at most `limit` bytes: a declared Content-Length over the limit is
 * refused before reading, and a streamed body is cut off as soon as it passes the limit. So a
 * hostile or broken registry cannot make us buffer more than we meant to.
 *
 * @param overLimit builds the error thrown when the body is larger than `limit`.
 */
export async function readLimitedBody(response: Response, limit: number, overLimit: (seenBytes: number) => Error): Promise<Uint8Array> {
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    await response.body?.cancel();
    throw overLimit(Number(declared));
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw overLimit(total);
    }
    chunks.push(value);
  }
  // A plain Uint8Array (not a Buffer), whatever the number of chunks, so callers compare like with like.
  const joined = Buffer.concat(chunks);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}
