import type { IncomingMessage, ServerResponse } from 'node:http';
import { DASHBOARD_ASSETS } from './assets.generated.ts';

/**
 * What the page may load: its own script, style and API, nothing inline, no frames, no plug-ins.
 * Even if user data ever reached markup, an injected script would not run.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const ALIASES: Readonly<Record<string, string>> = { '/index.html': '/', '/dashboard': '/', '/dashboard/': '/' };

/** The asset path a request path names, or undefined when it is not part of the page. */
export function dashboardAssetPath(path: string): string | undefined {
  const name = ALIASES[path] ?? path;
  return Object.hasOwn(DASHBOARD_ASSETS, name) ? name : undefined;
}

/**
 * Serves the page's files (no token: they hold nothing secret; the API calls they make carry it),
 * with the CSP and the headers that stop sniffing, framing and referrers. False when the path is not
 * the page's, so the caller routes it on.
 */
export function serveDashboardAsset(request: IncomingMessage, response: ServerResponse): boolean {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const name = dashboardAssetPath(path);
  if (name === undefined) return false;
  const asset = DASHBOARD_ASSETS[name];
  if (asset === undefined) return false;
  const headers = {
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
    etag: asset.etag,
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    response.end('the dashboard page accepts GET only\n');
    return true;
  }
  if (request.headers['if-none-match'] === asset.etag) {
    response.writeHead(304, headers);
    response.end();
    return true;
  }
  response.writeHead(200, { ...headers, 'content-type': asset.contentType, 'content-length': Buffer.byteLength(asset.body) });
  response.end(request.method === 'HEAD' ? undefined : asset.body);
  return true;
}
