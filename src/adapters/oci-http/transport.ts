/**
 * What the registry client needs from HTTP: one exchange at a time, never following redirects (the
 * client follows them itself, so that credentials stay on the registry's origin), the body handed
 * over unread. {@link NodeHttpTransport} is the implementation; tests may pass another.
 */
export interface HttpTransport {
  /**
   * Sends one request and resolves once the answer's head arrived, whatever its status. Rejects on a
   * network failure, and with a `TimeoutError` once `timeoutMs` passed; the timeout also bounds
   * reading the body.
   */
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes the kept connections; requests in flight are cut. */
  close(): void;
}

export interface TransportRequest {
  readonly method: string;
  /** `http:` or `https:`. */
  readonly url: URL;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | undefined;
  /** For the whole exchange, body included. */
  readonly timeoutMs: number;
}

export interface TransportResponse {
  readonly status: number;
  /** A 2xx status. */
  readonly ok: boolean;
  /** Header values by case-insensitive name; repeated headers joined with `, `. */
  readonly headers: { get(name: string): string | null };
  /**
   * The body, chunk by chunk, iterated once. Leaving the iteration early (break, throw) closes the
   * connection; it fails with the network error (or the `TimeoutError`) that cut it.
   */
  readonly body: AsyncIterable<Uint8Array>;
  /**
   * Gives up the body unread. A body already received, or a short one, is still read so that the
   * connection can be reused; resolves once a received one was read out.
   */
  cancel(): Promise<void>;
}

/** Thrown (as the cause of a failed exchange) when a request's time is up; named like the DOM's. */
export class TransportTimeoutError extends Error {
  override readonly name = 'TimeoutError';

  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}
