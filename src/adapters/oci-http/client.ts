import { ErrorCodes, RegistryError } from '../../core/errors.ts';
import { type Credentials, RegistryAuthenticator, repositoryScope } from './auth.ts';
import { errorFromFailure, errorFromResponse } from './errors.ts';
import { describeRequest, type RequestContext } from './request-context.ts';
import { type HttpTransport, type TransportResponse, TransportTimeoutError } from './transport.ts';

export interface RegistryHttpClientOptions {
  /** Origin (and optional path prefix) of the registry, without `/v2`. */
  readonly baseUrl: string;
  readonly credentials: Credentials | undefined;
  readonly transport: HttpTransport;
  readonly timeoutMs: number;
  readonly now: () => number;
}

export interface RegistryRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT';
  /** A path below the base URL (`/v2/…`), or an absolute URL on the registry's origin (a `Link` page). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly context: RequestContext;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * One registry's HTTP client: per-request timeout, authentication (answering a 401's challenge
 * once), and redirects followed by hand so that `Authorization` never leaves the registry's origin
 * (blob downloads are often redirected to object storage with a signed URL).
 */
export class RegistryHttpClient {
  readonly baseUrl: string;
  readonly #options: RegistryHttpClientOptions;
  readonly #auth: RegistryAuthenticator;
  readonly #origin: string;

  constructor(options: RegistryHttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#options = options;
    this.#auth = new RegistryAuthenticator(options);
    this.#origin = new URL(this.baseUrl).origin;
  }

  /** The URL a request path names; absolute URLs must stay on the registry's origin. */
  resolve(path: string, context: RequestContext): URL {
    const url = new URL(path.startsWith('/') ? `${this.baseUrl}${path}` : path);
    if (url.origin !== this.#origin) {
      throw new RegistryError(
        ErrorCodes.unavailable,
        `${describeRequest(context)}: the registry pointed to another origin (${url.origin})`,
        {
          details: { repository: context.repository, reference: context.reference },
        },
      );
    }
    return url;
  }

  /**
   * Sends a request and returns the final response, whatever its status, with the body unread.
   * Network failures and timeouts become retryable `unavailable` errors. The timeout also bounds
   * reading the body.
   */
  async send(request: RegistryRequest): Promise<TransportResponse> {
    const { context } = request;
    const scope = repositoryScope(context.repository, request.method === 'PUT');
    const deadline = performance.now() + this.#options.timeoutMs;
    try {
      let authorization = this.#auth.authorizationFor(scope);
      for (let attempt = 0; ; attempt++) {
        const { response, url } = await this.#sendFollowingRedirects(request, authorization, deadline);
        // A 401 from where a redirect led (object storage) is not the registry asking for our credentials.
        if (response.status !== 401 || attempt > 0 || url.origin !== this.#origin) return response;
        const answer = await this.#auth.answer(response.headers.get('www-authenticate'), scope, context);
        if (answer === undefined) return response;
        await response.cancel();
        authorization = answer;
      }
    } catch (error) {
      throw errorFromFailure(error, context);
    }
  }

  /** The domain error for something thrown while reading a response (a reset, the timeout). */
  failure(error: unknown, context: RequestContext): Error {
    return errorFromFailure(error, context);
  }

  /** The domain error for a response that was not a success. */
  async fail(response: TransportResponse, context: RequestContext): Promise<RegistryError> {
    return errorFromResponse(response, context, this.#options.now());
  }

  async #sendFollowingRedirects(
    request: RegistryRequest,
    authorization: string | undefined,
    deadline: number,
  ): Promise<{ response: TransportResponse; url: URL }> {
    const origin = this.#origin;
    let url = this.resolve(request.path, request.context);
    let method: string = request.method;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { ...request.headers };
      // Only the registry itself sees credentials; a redirect to storage carries its own signature.
      if (authorization !== undefined && url.origin === origin) headers.authorization = authorization;
      const timeoutMs = Math.ceil(deadline - performance.now());
      if (timeoutMs <= 0) throw new TransportTimeoutError(this.#options.timeoutMs);
      const response = await this.#options.transport.send({
        method,
        url,
        headers,
        body: method === 'PUT' ? request.body : undefined,
        timeoutMs,
      });
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null || method === 'PUT') return { response, url };
      await response.cancel();
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryError(ErrorCodes.unavailable, `${describeRequest(request.context)}: more than ${MAX_REDIRECTS} redirects`, {
          retryable: false,
          details: { repository: request.context.repository, reference: request.context.reference },
        });
      }
      url = new URL(location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new RegistryError(ErrorCodes.unavailable, `${describeRequest(request.context)}: redirect to a non-HTTP URL`, {
          details: { repository: request.context.repository, reference: request.context.reference },
        });
      }
      if (response.status === 303) method = 'GET';
    }
  }
}
