import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createApiHandler } from '../../src/handlers/api.ts';
import { createLocalHttpServer } from '../../src/local/http/http-server.ts';
import { type Harness, lambdaContext, makeHarness } from '../handlers/handler-harness.ts';

const TOKEN = 'api-token-for-tests-0123456789';
const SECRET = 'registry-secret-for-tests-0123456789';

let server: Server;
let port: number;
let h: Harness;
let pushes: number;

/**
 * What an attacker on the loopback interface (or a careless script) sends the runner's one HTTP
 * server, through the real API handler over in-memory ports. The cases the handlers' own tables
 * cover (names, bodies, queries, secrets) are not repeated here; these are the ones that depend on
 * the raw request: unnormalised paths, prototype keys in JSON, bodies without a declared length.
 */

/**
 * A raw request: the target goes on the wire exactly as written (fetch would resolve `..`), and a
 * body given as chunks is sent chunked, with no Content-Length to refuse it by.
 */
function send(
  method: string,
  target: string,
  body?: string | string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const contentType = body === undefined ? {} : { 'content-type': 'application/json' };
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path: target, headers: { authorization: `Bearer ${TOKEN}`, ...contentType, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    // The server may answer 413 and close before every chunk is written.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    for (const chunk of Array.isArray(body) ? body : []) req.write(chunk);
    req.end(Array.isArray(body) ? undefined : body);
  });
}

const isPolluted = (): boolean => ['onDrift', 'polluted', 'events', 'tag', 'requiredPlatforms'].some((key) => key in {});

beforeEach(async () => {
  h = makeHarness();
  pushes = 0;
  const api = createApiHandler(h.deps, { timeoutEarlyInMillis: 0 });
  server = createLocalHttpServer({
    apiToken: TOKEN,
    webhookSecret: SECRET,
    logger: h.logger,
    onImagePush: async () => {
      pushes += 1;
    },
    api: (event) => api(event, lambdaContext),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const CONFIG = JSON.stringify({ requiredPlatforms: ['linux/amd64'] });
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('path tricks in the request target', () => {
  beforeEach(async () => {
    await h.store.putRepositoryConfig('admin', normaliseRepositoryConfig({ requiredPlatforms: ['linux/arm64'] }));
  });

  it.each([
    ['a .. component', '/v1/repositories/team/../admin/config'],
    ['a trailing .. after a name', '/v1/repositories/admin/x/../config'],
    ['an encoded ..', '/v1/repositories/%2e%2e/admin/config'],
    ['encoded slashes around ..', '/v1/repositories/team%2F..%2Fadmin/config'],
    ['lower-case encoded slashes and dots', '/v1/repositories/team%2f%2e%2e%2fadmin/config'],
    ['a . component', '/v1/repositories/./admin/config'],
    ['.. before the API prefix', '/v1/../v1/repositories/admin/config'],
    ['a doubled leading slash', '//v1/repositories/admin/config'],
    ['an encoded NUL', '/v1/repositories/adm%00in/config'],
    ['an encoded backslash', '/v1/repositories/team%5Cadmin/config'],
    ['a double-encoded slash', '/v1/repositories/team%252Fadmin/config'],
  ])('refuses %s (%s) with 400 or 404, reading and writing nothing', async (_, target) => {
    const put = await send('PUT', target, CONFIG);
    expect([400, 404]).toContain(put.status);
    const get = await send('GET', target);
    expect([400, 404]).toContain(get.status);
    expect(get.body).not.toContain('linux/arm64');
    expect((await h.store.listRepositoryConfigs()).map((c) => c.repository)).toEqual(['admin']);
  });
});

describe('prototype keys in JSON bodies', () => {
  it.each([
    ['__proto__ beside the fields', '{"requiredPlatforms":["linux/amd64"],"__proto__":{"onDrift":"restore"}}', 'body.__proto__'],
    ['constructor.prototype', '{"requiredPlatforms":["linux/amd64"],"constructor":{"prototype":{"polluted":1}}}', 'body.constructor'],
    ['prototype', '{"requiredPlatforms":["linux/amd64"],"prototype":1}', 'body.prototype'],
    ['every field under __proto__', '{"__proto__":{"requiredPlatforms":["linux/amd64"]}}', 'body.requiredPlatforms'],
  ])('refuses a config with %s, naming the field; stores nothing and pollutes nothing', async (_, body, field) => {
    const response = await send('PUT', '/v1/repositories/hello/config', body);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ field });
    expect(await h.store.getRepositoryConfig('hello')).toBeUndefined();
    expect(isPolluted()).toBe(false);
  });

  const event = (target: string) => `{"id":"e1","timestamp":"2026-12-01T00:00:00Z","action":"push","target":${target}}`;
  it.each([
    ['events only under __proto__', '{"__proto__":{"events":[]}}', 400],
    ['__proto__ beside the events', '{"events":[],"__proto__":{"events":[1]}}', 200],
    [
      'the tag only under __proto__',
      `{"events":[${event(`{"repository":"team/app","mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${DIGEST}","__proto__":{"tag":"1-amd64"}}`)}]}`,
      200,
    ],
    ['the target only under __proto__', `{"events":[${event('{"__proto__":{"repository":"team/app","tag":"1-amd64"}}')}]}`, 200],
  ])('runs no push for a notification with %s, and pollutes nothing', async (_, body, status) => {
    const response = await send('POST', '/v1/hooks/registry', body, { authorization: `Bearer ${SECRET}` });
    expect(response.status).toBe(status);
    expect(pushes).toBe(0);
    expect(isPolluted()).toBe(false);
  });
});

describe('bodies without a declared length (chunked)', () => {
  const chunks = (total: number) => Array.from({ length: total / 65_536 }, () => ' '.repeat(65_536));
  it.each([
    ['the webhook', 'POST', '/v1/hooks/registry', { authorization: `Bearer ${SECRET}` }],
    ['the API', 'PUT', '/v1/repositories/hello/config', {}],
  ])('%s answers 413 once more than 1 MiB has arrived, and runs nothing', async (_, method, target, headers) => {
    const response = await send(method, target, ['{"events":[]', ...chunks(2 * 1024 * 1024)], headers);
    expect(response.status).toBe(413);
    expect(pushes).toBe(0);
    expect(await h.store.getRepositoryConfig('hello')).toBeUndefined();
  });
});
