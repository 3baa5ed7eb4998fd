/**
 * The page's API client: the bearer token from sessionStorage (asked for once per browser session,
 * never put in a URL), a conditional GET per URL (If-None-Match with the last ETag, so an unchanged
 * body costs a 304 and no re-render), and the header that tells the dashboard's proxy the call comes
 * from the page itself (a cross-site form or image cannot set it without a preflight it never gets).
 */
const TOKEN_KEY = 'manifest-assembler.token';
export const DASHBOARD_HEADER = 'x-manifest-assembler-dashboard';

export type Fetched<T> =
  | { readonly kind: 'changed'; readonly body: T }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'not-found'; readonly detail: string };

/** A response the page cannot use: shown in the status line, and the poller backs off. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export class DashboardApi {
  readonly #etags = new Map<string, string>();

  get token(): string | undefined {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  }

  set token(value: string | undefined) {
    if (value === undefined) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
    this.#etags.clear();
  }

  /** GETs a path under /v1; `unchanged` when the server answered 304 to the ETag of the last body seen. */
  async get<T>(path: string): Promise<Fetched<T>> {
    const headers: Record<string, string> = { accept: 'application/json', [DASHBOARD_HEADER]: '1' };
    const token = this.token;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const etag = this.#etags.get(path);
    if (etag !== undefined) headers['if-none-match'] = etag;
    let response: Response;
    try {
      response = await fetch(path, { headers, cache: 'no-store', credentials: 'omit', redirect: 'error' });
    } catch (error) {
      throw new ApiFailure(`cannot reach the API (${(error as Error).message})`, 0);
    }
    if (response.status === 304) return { kind: 'unchanged' };
    if (response.status === 401) return { kind: 'unauthorized' };
    const body = await response.json().catch(() => undefined);
    if (response.status === 404) return { kind: 'not-found', detail: detailOf(body) ?? 'not found' };
    if (!response.ok) throw new ApiFailure(`${path}: ${response.status} ${detailOf(body) ?? response.statusText}`, response.status);
    const next = response.headers.get('etag');
    if (next === null) this.#etags.delete(path);
    else this.#etags.set(path, next);
    return { kind: 'changed', body: body as T };
  }

  /** Forgets the ETag of a path, so that its next GET returns the body even when unchanged. */
  forget(path: string): void {
    this.#etags.delete(path);
  }
}

function detailOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const detail = (body as { detail?: unknown }).detail;
  return typeof detail === 'string' ? detail : undefined;
}
