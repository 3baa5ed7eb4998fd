import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigV4Auth } from '../../src/cli/sigv4-auth.ts';
import { type DashboardProxy, startDashboardProxy } from '../../src/dashboard/dashboard-proxy.ts';
import { DASHBOARD_CSP } from '../../src/dashboard/serve-dashboard.ts';
import { listenOnLoopback } from '../../src/local/ports.ts';
import { type SigV4Gateway, startSigV4Gateway } from '../support/sigv4-gateway.ts';

const CREDENTIALS = { accessKeyId: 'AKIDDASHBOARDTEST', secretAccessKey: 'dashboard-test-secret-key' };

/** The local API as the gateway sees it: wants the bearer token, answers with an ETag. */
async function startFakeApi(token: string): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401).end();
      return;
    }
    if (request.headers['if-none-match'] === '"v1"') {
      response.writeHead(304, { etag: '"v1"' }).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(JSON.stringify({ repositories: [] }));
  });
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, server, seen };
}

describe('startDashboardProxy', () => {
  let api: Awaited<ReturnType<typeof startFakeApi>>;
  let gateway: SigV4Gateway;
  let proxy: DashboardProxy;
  // token null: no Authorization header at all.
  const call = (path: string, init: RequestInit = {}, token: string | null = proxy.sessionToken) =>
    fetch(new URL(path, proxy.url), {
      ...init,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string> | undefined) },
    });

  beforeAll(async () => {
    api = await startFakeApi('local-token');
    gateway = await startSigV4Gateway({ credentials: CREDENTIALS, region: 'us-east-1', upstream: api.url, upstreamToken: 'local-token' });
    proxy = await startDashboardProxy({
      upstream: new URL(gateway.url),
      auth: new SigV4Auth({ region: 'us-east-1', credentials: CREDENTIALS }),
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await gateway?.stop();
    await new Promise((resolve) => api?.server.close(resolve));
  });

  it('relays a GET signed with SigV4, which the receiving side verifies', async () => {
    const before = gateway.verified.length;
    const response = await call('/v1/repositories?limit=5');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ repositories: [] });
    expect(gateway.verified.slice(before)).toEqual(['GET /v1/repositories?limit=5']);
    expect(gateway.refused).toEqual([]);
  });

  it('passes the ETag through both ways, so an unchanged state is a 304', async () => {
    const response = await call('/v1/repositories', { headers: { 'if-none-match': '"v1"' } });
    expect(response.status).toBe(304);
    expect(response.headers.get('etag')).toBe('"v1"');
  });

  it('turns a refused signature into a 502 that says so, not a 401 the page would read as its own token', async () => {
    const wrong = await startDashboardProxy({
      upstream: new URL(gateway.url),
      auth: new SigV4Auth({ region: 'us-east-1', credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' } }),
    });
    try {
      const response = await fetch(new URL('/v1/repositories', wrong.url), { headers: { authorization: `Bearer ${wrong.sessionToken}` } });
      expect(response.status).toBe(502);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/refused the signed request \(403\)/);
      expect(gateway.refused.at(-1)).toMatch(/signature does not match/);
    } finally {
      await wrong.stop();
    }
  });

  it.each([
    { name: 'without the session token', path: '/v1/repositories', init: {}, token: null, status: 401 },
    { name: 'with another token', path: '/v1/repositories', init: {}, token: 'guess', status: 401 },
    {
      name: 'a POST (the dashboard only reads)',
      path: '/v1/repositories/hello/versions/1/publish',
      init: { method: 'POST', body: '{}' },
      token: 'session',
      status: 405,
    },
    { name: 'a DELETE', path: '/v1/repositories/hello/config', init: { method: 'DELETE' }, token: 'session', status: 405 },
    { name: 'an unknown path', path: '/etc/passwd', init: {}, token: 'session', status: 404 },
  ])('refuses $name with $status and relays nothing', async ({ path, init, token, status }) => {
    const before = api.seen.length;
    const response = await call(path, init as RequestInit, token === 'session' ? proxy.sessionToken : token);
    expect(response.status).toBe(status);
    expect(api.seen.length).toBe(before);
  });

  it('refuses a Host other than loopback (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL('/v1/repositories', proxy.url);
      request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname,
          headers: { host: 'evil.example:80', authorization: `Bearer ${proxy.sessionToken}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
  });

  it('serves the page without a token, with the CSP and no-sniff headers', async () => {
    const response = await call('/', {}, null);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<script type="module" src="/dashboard/app.js">');
    const script = await call('/dashboard/app.js', {}, null);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });
});
