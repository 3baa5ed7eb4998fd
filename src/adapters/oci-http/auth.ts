import { ErrorCodes, RegistryError } from '../../core/errors.ts';
import { readLimited } from '../http/read-limited-body.ts';
import { type Challenge, parseChallenges } from './challenge.ts';
import { errorFromFailure } from './errors.ts';
import { describeRequest, type RequestContext } from './request-context.ts';
import type { HttpTransport, TransportResponse } from './transport.ts';

/**
 * Registry authentication the way registries ask for it: a 401 carries a `WWW-Authenticate`
 * challenge; `Basic` is answered with the credentials, `Bearer` with a token from the challenge's
 * realm (credentials sent there as Basic when we have them, anonymous otherwise). Tokens are cached
 * per scope until shortly before they expire.
 *
 * Credentials and tokens never appear in errors or logs.
 *
 * @see https://distribution.github.io/distribution/spec/auth/token/
 */

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface AuthenticatorOptions {
  readonly credentials: Credentials | undefined;
  readonly transport: HttpTransport;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** Tokens are used until this long before they expire, so one does not lapse in flight. */
const EXPIRY_MARGIN_SECONDS = 5;
/** The spec's default when a token response has no `expires_in`. */
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_RESPONSE_LIMIT = 1024 * 1024;

/** The token scope a request needs: `repository:<name>:pull` or `repository:<name>:pull,push`. */
export function repositoryScope(repository: string, push: boolean): string {
  return `repository:${repository}:${push ? 'pull,push' : 'pull'}`;
}

export class RegistryAuthenticator {
  readonly #options: AuthenticatorOptions;
  /** Set once the registry has asked for Basic: later requests send it up front. */
  #basicRequested = false;
  readonly #tokens = new Map<string, { authorization: string; expiresAt: number }>();

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  /** The `Authorization` value to send before being asked, when one is known for this scope. */
  authorizationFor(scope: string): string | undefined {
    // A pull,push token also allows pulls, so a fetch after a put needs no second token.
    const candidates = scope.endsWith(':pull') ? [scope, `${scope},push`] : [scope];
    for (const key of candidates) {
      const token = this.#tokens.get(key);
      if (token === undefined) continue;
      if (token.expiresAt > this.#options.now()) return token.authorization;
      this.#tokens.delete(key);
    }
    return this.#basicRequested ? this.#basic() : undefined;
  }

  /**
   * Answers a 401's challenge: the `Authorization` value to retry with, or undefined when we have
   * nothing to answer with (the 401 then stands).
   */
  async answer(header: string | null, scope: string, context: RequestContext): Promise<string | undefined> {
    const challenges = parseChallenges(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm !== undefined);
    if (bearer !== undefined) return this.#fetchToken(bearer, scope, context);
    if (challenges.some((c) => c.scheme === 'basic') && this.#options.credentials !== undefined) {
      this.#basicRequested = true;
      return this.#basic();
    }
    return undefined;
  }

  #basic(): string | undefined {
    const credentials = this.#options.credentials;
    if (credentials === undefined) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
  }

  async #fetchToken(challenge: Challenge, scope: string, context: RequestContext): Promise<string> {
    const realm = challenge.params.realm ?? '';
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError(ErrorCodes.unauthorized, `${describeRequest(context)}: the registry's token realm is not a URL: ${realm}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RegistryError(ErrorCodes.unauthorized, `${describeRequest(context)}: the registry's token realm is not http(s): ${realm}`);
    }
    const service = challenge.params.service;
    if (service !== undefined) url.searchParams.set('service', service);
    // The challenge names the scope this resource needs; ours is the same for every registry seen.
    url.searchParams.set('scope', challenge.params.scope ?? scope);
    const basic = this.#basic();
    const failed = (error: unknown) =>
      errorFromFailure(error, { ...context, operation: `${context.operation} (token from ${url.origin}${url.pathname})` });
    let response: TransportResponse;
    try {
      response = await this.#options.transport.send({
        method: 'GET',
        url,
        headers: basic === undefined ? {} : { authorization: basic },
        timeoutMs: this.#options.timeoutMs,
      });
    } catch (error) {
      throw failed(error);
    }
    // Credentials go to the realm the registry named, and nowhere a redirect might send them.
    if (response.status >= 300 && response.status < 400) {
      await response.cancel();
      throw failed(new Error(`redirect (${response.status}) not followed`));
    }
    const where = `token service ${url.origin}${url.pathname}`;
    if (!response.ok) {
      await response.cancel();
      const refused = response.status === 401 || response.status === 403;
      throw new RegistryError(
        refused ? ErrorCodes.unauthorized : ErrorCodes.unavailable,
        `${describeRequest(context)}: ${where} answered HTTP ${response.status} for scope ${url.searchParams.get('scope')}${refused ? (basic === undefined ? ' (no credentials configured)' : ' (credentials refused)') : ''}`,
        {
          retryable: !refused && (response.status >= 500 || response.status === 429),
          details: { repository: context.repository, status: response.status },
        },
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readLimited(
        response,
        TOKEN_RESPONSE_LIMIT,
        () =>
          new RegistryError(
            ErrorCodes.unauthorized,
            `${describeRequest(context)}: ${where} sent a response over ${TOKEN_RESPONSE_LIMIT} bytes`,
          ),
      );
    } catch (error) {
      throw failed(error);
    }
    const token = parseTokenResponse(bytes);
    if (token === undefined) {
      throw new RegistryError(ErrorCodes.unauthorized, `${describeRequest(context)}: ${where} sent no token or access_token`);
    }
    const authorization = `Bearer ${token.token}`;
    const lifetime = Math.max(0, token.expiresInSeconds - EXPIRY_MARGIN_SECONDS);
    this.#tokens.set(scope, { authorization, expiresAt: this.#options.now() + lifetime * 1000 });
    return authorization;
  }
}

function parseTokenResponse(bytes: Uint8Array): { token: string; expiresInSeconds: number } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { token, access_token: accessToken, expires_in: expiresIn } = body as Record<string, unknown>;
  const value =
    typeof token === 'string' && token !== '' ? token : typeof accessToken === 'string' && accessToken !== '' ? accessToken : undefined;
  if (value === undefined) return undefined;
  const seconds = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_SECONDS;
  return { token: value, expiresInSeconds: seconds };
}
