import { createServer, request as httpRequest, type Server } from 'node:http';
import { listenOnLoopback } from '../src/local/ports.ts';

/** What one client sent to the registry, by request kind (`GET manifest by tag`, `PUT blob upload`…). */
export type RequestCounts = Record<string, number>;

export interface CountingProxy {
  /** `http://127.0.0.1:<port>`: point one client here instead of at the registry. */
  readonly url: string;
  /** A copy of the counts so far. */
  counts(): RequestCounts;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of the registry that counts each request by method and kind,
 * one proxy per client, so the requests a tool makes are counted by the same instrument for the
 * project and for the anchors. The Host header is passed on untouched, so the upload URLs the
 * registry hands out keep pointing at the proxy.
 */
export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  let counts: RequestCounts = {};
  const server: Server = createServer((incoming, outgoing) => {
    const key = `${incoming.method} ${requestKind(incoming.url ?? '/')}`;
    counts[key] = (counts[key] ?? 0) + 1;
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', (error) => {
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`counting proxy: ${error.message}`);
    });
    incoming.pipe(upstream);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The distribution API route a request path takes, without names or digests. */
export function requestKind(path: string): string {
  const p = path.split('?')[0] ?? '';
  if (p === '/v2/' || p === '/v2') return 'version check';
  if (/\/manifests\/sha256:[0-9a-f]{64}$/.test(p)) return 'manifest by digest';
  if (/\/manifests\/[^/]+$/.test(p)) return 'manifest by tag';
  if (/\/blobs\/uploads\//.test(p) || /\/blobs\/uploads$/.test(p)) return 'blob upload';
  if (/\/blobs\/sha256:[0-9a-f]{64}$/.test(p)) return 'blob';
  if (/\/tags\/list$/.test(p)) return 'tags list';
  return 'other';
}
