/** A request as the API client is about to send it; what an auth strategy signs. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * How requests prove who sends them: a bearer token for the local API, SigV4 for API Gateway.
 * Returns the headers to send (the given ones plus the credentials).
 */
export interface RequestAuth {
  authorize(request: OutgoingRequest): Promise<Record<string, string>>;
}

/** `Authorization: Bearer <token>`, what the local API wants (docs/api.md). */
export class BearerAuth implements RequestAuth {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  async authorize(request: OutgoingRequest): Promise<Record<string, string>> {
    return { ...request.headers, authorization: `Bearer ${this.#token}` };
  }
}

/** Sends requests as they are: for an API that is neither local nor deployed on API Gateway, and `/v1/health`. */
export class NoAuth implements RequestAuth {
  async authorize(request: OutgoingRequest): Promise<Record<string, string>> {
    return { ...request.headers };
  }
}
