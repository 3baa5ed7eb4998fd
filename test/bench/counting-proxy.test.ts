import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountingProxy, requestKind, startCountingProxy } from '../../bench/counting-proxy.ts';
import { listenOnLoopback } from '../../src/local/ports.ts';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('requestKind', () => {
  it.each([
    ['/v2/', 'version check'],
    [`/v2/team/hello/manifests/${digest}`, 'manifest by digest'],
    ['/v2/team/hello/manifests/2.7-arm64', 'manifest by tag'],
    [`/v2/hello/blobs/${digest}`, 'blob'],
    ['/v2/hello/blobs/uploads/', 'blob upload'],
    ['/v2/hello/blobs/uploads/1f2e?_state=x&digest=sha256:1', 'blob upload'],
    ['/v2/hello/tags/list?n=100', 'tags list'],
    ['/v2/_catalog', 'other'],
  ])('%s is a %s', (path, kind) => {
    expect(requestKind(path)).toBe(kind);
  });
});

describe('startCountingProxy', () => {
  let upstream: ReturnType<typeof createServer>;
  let proxy: CountingProxy;
  const seen: Array<{ method: string; url: string; host: string; body: string }> = [];

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', host: request.headers.host ?? '', body });
        response.writeHead(201, { 'docker-content-digest': digest });
        response.end('stored');
      });
    });
    const port = await listenOnLoopback(upstream);
    proxy = await startCountingProxy(`http://127.0.0.1:${port}`);
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('passes requests, bodies, answers and the Host header through, and counts each by method and kind', async () => {
    const put = await fetch(`${proxy.url}/v2/hello/manifests/1.0`, { method: 'PUT', body: '{"schemaVersion":2}' });
    await fetch(`${proxy.url}/v2/hello/manifests/1.0`, { method: 'HEAD' });
    await fetch(`${proxy.url}/v2/hello/manifests/1.0`, { method: 'HEAD' });

    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digest);
    expect(await put.text()).toBe('stored');
    expect(seen[0]).toEqual({
      method: 'PUT',
      url: '/v2/hello/manifests/1.0',
      host: proxy.url.replace('http://', ''),
      body: '{"schemaVersion":2}',
    });
    expect(proxy.counts()).toEqual({ 'PUT manifest by tag': 1, 'HEAD manifest by tag': 2 });
    proxy.reset();
    expect(proxy.counts()).toEqual({});
  });
});
