import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RequestAuth } from '../cli/request-auth.ts';
import { hasBearerToken } from '../local/http/bearer-auth.ts';
import { sendProblem } from '../local/http/http-io.ts';
import { listenOnLoopback } from '../local/ports.ts';
import { serveDashboardAsset } from './serve-dashboard.ts';

/** The largest API answer the proxy relays (a page of 100 versions is well under 1 MiB). */
const MAX_UPSTREAM_BYTES = 8 * 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface DashboardProxyOptions {
  /** The API's base URL (`https://…execute-api…/` or another stage path). */
  readonly upstream: URL;
  /** How requests to the upstream are authenticated: SigV4 for a deployed API. */
  readonly auth: RequestAuth;
  /** What the page must present (`Authorization: Bearer …`); random per run unless given. */
  readonly sessionToken?: string;
  readonly fetch?: typeof fetch;
  /** 0 (the default): any free port. */
  readonly port?: number;
  readonly onError?: (message: string) => void;
}

export interface DashboardProxy {
  readonly url: string;
  readonly sessionToken: string;
  stop(): Promise<void>;
}

/**
 * A server on 127.0.0.1 that serves the dashboard page and relays its GET calls under /v1 to a
 * deployed API, signing each one (SigV4 from the standard credential chain), so that no AWS
 * credential ever reaches the browser.
 *
 * It only reads: another local process, or a web page in the same browser, must not turn it into
 * a signing service. So it relays GET and HEAD only, wants the session token it printed (which a
 * cross-site request cannot carry), and refuses a Host other than loopback (DNS rebinding).
 */
export async function startDashboardProxy(options: DashboardProxyOptions): Promise<DashboardProxy> {
  const sessionToken = options.sessionToken ?? randomBytes(24).toString('base64url');
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = new URL(options.upstream.href.endsWith('/') ? options.upstream.href : `${options.upstream.href}/`);
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onError?.(`dashboard proxy: ${(error as Error).message}`);
      if (!response.headersSent)
        sendProblem(response, 502, 'Bad Gateway', `the API at ${base.origin} could not be reached: ${(error as Error).message}`);
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const hostname = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK_HOSTS.has(hostname)) {
      sendProblem(response, 421, 'Misdirected Request', 'the dashboard answers on 127.0.0.1 or localhost only');
      return;
    }
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (!path.startsWith('/v1/')) {
      if (serveDashboardAsset(request, response)) return;
      sendProblem(response, 404, 'Not Found', `no route for ${path}: the dashboard is at /`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendProblem(response, 405, 'Method Not Allowed', 'the dashboard only reads: use the CLI to change anything', { allow: 'GET, HEAD' });
      return;
    }
    if (!hasBearerToken(request.headers, sessionToken)) {
      sendProblem(response, 401, 'Unauthorized', 'this dashboard wants the token that `manifest-assembler dashboard` printed', {
        'www-authenticate': 'Bearer',
      });
      return;
    }
    await relay(request, response);
  }

  async function relay(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL((request.url ?? '/').slice(1), base);
    const unsigned: Record<string, string> = { accept: 'application/json, application/problem+json' };
    const ifNoneMatch = request.headers['if-none-match'];
    if (typeof ifNoneMatch === 'string') unsigned['if-none-match'] = ifNoneMatch;
    const headers = await options.auth.authorize({ method: request.method ?? 'GET', url, headers: unsigned });
    delete headers.host; // fetch sends the URL's own host, the value that was signed
    const upstream = await doFetch(url, { method: request.method ?? 'GET', headers, redirect: 'error' });
    const body = Buffer.from(await upstream.arrayBuffer());
    if (body.byteLength > MAX_UPSTREAM_BYTES) throw new Error(`the answer is over ${MAX_UPSTREAM_BYTES} bytes`);
    if (upstream.status === 401 || upstream.status === 403) {
      // The page reads 401 as "ask for the session token"; a refused signature is something else.
      sendProblem(
        response,
        502,
        'Bad Gateway',
        `the API refused the signed request (${upstream.status}): check the AWS credentials and their permission to call it`,
      );
      return;
    }
    const out: Record<string, string | number> = { 'cache-control': 'no-store' };
    for (const name of ['content-type', 'etag']) {
      const value = upstream.headers.get(name);
      if (value !== null) out[name] = value;
    }
    out['content-length'] = body.byteLength;
    response.writeHead(upstream.status, out);
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  const port = await listenOnLoopback(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}/`,
    sessionToken,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
