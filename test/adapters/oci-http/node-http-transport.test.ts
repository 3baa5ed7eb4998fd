import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeHttpTransport } from '../../../src/adapters/oci-http/node-http-transport.ts';
import { OciHttpImageRegistry } from '../../../src/adapters/oci-http/oci-http-image-registry.ts';
import { computeDigest } from '../../../src/core/digest.ts';
import { ErrorCodes } from '../../../src/core/errors.ts';
import { Limits, MediaTypes } from '../../../src/core/media-types.ts';
import { type HttpStub, startHttpStub } from '../../support/http-stub.ts';
import { rejection } from '../../support/rejection.ts';

// The node:http transport under the registry adapter: kept connections, the timeout over the body,
// the size cap while streaming, credentials kept to the registry, https.

const stubs: HttpStub[] = [];
const registries: OciHttpImageRegistry[] = [];
afterEach(async () => {
  for (const registry of registries.splice(0)) registry.close();
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

async function stub(
  handler: (request: IncomingMessage, response: ServerResponse) => unknown,
  options?: Parameters<typeof startHttpStub>[1],
): Promise<HttpStub> {
  const started = await startHttpStub(handler, options);
  stubs.push(started);
  return started;
}

function registryAt(options: ConstructorParameters<typeof OciHttpImageRegistry>[0]): OciHttpImageRegistry {
  const registry = new OciHttpImageRegistry(options);
  registries.push(registry);
  return registry;
}

const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] }));
const manifestDigest = computeDigest(manifestBytes);
const manifest = { mediaType: MediaTypes.ociIndex, digest: manifestDigest, size: manifestBytes.length, bytes: manifestBytes };
const configBytes = Buffer.from('{"architecture":"arm64","os":"linux"}');
const configDescriptor = { mediaType: MediaTypes.ociConfig, digest: computeDigest(configBytes), size: configBytes.length };
const basic = `Basic ${Buffer.from('ci:pw').toString('base64')}`;

/** A registry that wants Basic credentials and answers every call of the adapter. */
function wellBehaved(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers.authorization !== basic) {
    const body = JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    // With its length, as registries send it: without one, node's client closes after a HEAD's answer.
    res
      .writeHead(401, { 'www-authenticate': 'Basic realm="registry"', 'content-type': 'application/json', 'content-length': body.length })
      .end(body);
    return;
  }
  const path = req.url ?? '';
  if (req.method === 'HEAD' && path.endsWith('/manifests/v1')) {
    res.writeHead(200, { 'docker-content-digest': manifestDigest, 'content-length': manifestBytes.length }).end();
  } else if (req.method === 'GET' && path.endsWith(`/manifests/${manifestDigest}`)) {
    res.writeHead(200, { 'content-type': MediaTypes.ociIndex }).end(manifestBytes);
  } else if (req.method === 'GET' && path.endsWith(`/blobs/${configDescriptor.digest}`)) {
    res.writeHead(200, { 'content-length': configBytes.length }).end(configBytes);
  } else if (req.method === 'PUT') {
    req.resume();
    req.once('end', () => res.writeHead(201, { 'docker-content-digest': manifestDigest }).end());
  } else if (path.includes('/tags/list')) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'app', tags: ['v1'] }));
  } else {
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'no' }] }));
  }
}

async function everyCall(registry: OciHttpImageRegistry): Promise<void> {
  expect(await registry.resolveTag('app', 'v1')).toBe(manifestDigest);
  expect((await registry.fetchManifest('app', manifestDigest)).digest).toBe(manifestDigest);
  expect(Buffer.from(await registry.fetchBlob('app', configDescriptor, 1024)).equals(configBytes)).toBe(true);
  await registry.putManifest('app', 'v2', manifest);
  // A look right after the put, and a GET right after the look: undici's fetch reconnected after each HEAD.
  expect(await registry.resolveTag('app', 'v1')).toBe(manifestDigest);
  expect(await registry.listTags('app')).toEqual(['v1']);
  expect((await rejection(registry.fetchManifest('app', computeDigest(Buffer.from('gone'))))).code).toBe(ErrorCodes.notFound);
}

describe('OciHttpImageRegistry over node:http', () => {
  it('keeps one connection for a 401 and its retry, looks, reads, a put and an error answer', async () => {
    const server = await stub(wellBehaved);
    await everyCall(registryAt({ baseUrl: server.url, credentials: { username: 'ci', password: 'pw' } }));
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'GET', 'GET', 'PUT', 'HEAD', 'GET', 'GET']);
    expect(server.connections).toBe(1);
  });

  it('gives each registry client connections of its own', async () => {
    const server = await stub(wellBehaved);
    const credentials = { username: 'ci', password: 'pw' };
    await registryAt({ baseUrl: server.url, credentials }).listTags('app');
    await registryAt({ baseUrl: server.url, credentials }).listTags('app');
    expect(server.connections).toBe(2);
  });

  it('cuts a body at the limit, drops its connection and reads the next answer on a new one', async () => {
    let closedEarly = false;
    const server = await stub((req, res) => {
      if (!req.url?.includes('/blobs/')) {
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest });
        res.on('close', () => {
          closedEarly = !res.writableFinished;
        });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      res.writeHead(200, { 'content-length': configBytes.length }).end(configBytes);
    });
    const registry = registryAt({ baseUrl: server.url });

    const error = await rejection(registry.fetchManifest('app', manifestDigest));

    expect(error).toMatchObject({ code: ErrorCodes.tooLarge, details: { limit: Limits.manifestBytes } });
    expect(error.details.size).toBeGreaterThan(Limits.manifestBytes);
    await expect.poll(() => closedEarly).toBe(true);
    expect((await registry.fetchBlob('app', configDescriptor, 1024)).length).toBe(configBytes.length);
    expect(server.connections).toBe(2);
  });

  it('refuses a Content-Length over the limit before its body arrives, and reads the next answer', async () => {
    let bodySent = false;
    const server = await stub((req, res) => {
      if (req.url?.includes('/manifests/')) {
        // The head only; the body would follow 10 s later, long after the client gave up on it.
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'content-length': 5 * 1024 * 1024 }).flushHeaders();
        const timer = setTimeout(() => {
          bodySent = true;
          res.end(Buffer.alloc(5 * 1024 * 1024));
        }, 10_000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      res.writeHead(200, { 'content-length': configBytes.length }).end(configBytes);
    });
    const registry = registryAt({ baseUrl: server.url });

    const error = await rejection(registry.fetchManifest('app', manifestDigest));

    expect(error).toMatchObject({ code: ErrorCodes.tooLarge, details: { size: 5 * 1024 * 1024 } });
    expect((await registry.fetchBlob('app', configDescriptor, 1024)).length).toBe(configBytes.length);
    expect(bodySent).toBe(false);
  });

  it('times out while the body trickles in, and closes that connection', async () => {
    let closed = false;
    const server = await stub((_req, res) => {
      res.writeHead(200, { 'content-type': MediaTypes.ociIndex, 'content-length': manifestBytes.length });
      res.write(manifestBytes.subarray(0, 10)); // and never the rest
      res.on('close', () => {
        closed = true;
      });
    });

    const error = await rejection(registryAt({ baseUrl: server.url, timeoutMs: 300 }).fetchManifest('app', manifestDigest));

    expect(error).toMatchObject({ code: ErrorCodes.unavailable, retryable: true, details: { timedOut: true } });
    expect(error.message).toContain(`fetch manifest app@${manifestDigest} at ${server.url}: timed out`);
    await expect.poll(() => closed).toBe(true);
  });

  it('keeps the credentials from another origin a redirect leads to, and does not answer its 401 with them', async () => {
    const storage = await stub((_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="storage"' }).end());
    const registry = await stub((req, res) => {
      if (req.headers.authorization !== basic) res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end();
      else res.writeHead(307, { location: `${storage.url}/signed?sig=abc` }).end();
    });

    const error = await rejection(
      registryAt({ baseUrl: registry.url, credentials: { username: 'ci', password: 'pw' } }).fetchBlob('app', configDescriptor, 1024),
    );

    expect(error.code).toBe(ErrorCodes.unauthorized);
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, basic]);
    expect(storage.requests.map((r) => [r.url, r.headers.authorization])).toEqual([['/signed?sig=abc', undefined]]);
  });

  it('does not follow a redirect from the token realm, which has the credentials', async () => {
    const elsewhere = await stub((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}'));
    const tokens = await stub((_req, res) => res.writeHead(302, { location: `${elsewhere.url}/token` }).end());
    const registry = await stub((_req, res) =>
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="reg"`, 'content-length': 0 }).end(),
    );

    const error = await rejection(registryAt({ baseUrl: registry.url, credentials: { username: 'ci', password: 'pw' } }).listTags('app'));

    expect(error).toMatchObject({ code: ErrorCodes.unavailable, retryable: true });
    expect(error.message).toContain(`(token from ${tokens.url}/token)`);
    expect(tokens.requests.map((r) => r.headers.authorization)).toEqual([basic]);
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('OciHttpImageRegistry over https', () => {
  let dir: string;
  let tls: { key: string; cert: string };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transport-tls-'));
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    tls = { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes every call over one kept TLS connection to a registry whose certificate it is given', async () => {
    const server = await stub(wellBehaved, { tls });
    expect(server.url).toMatch(/^https:/);
    await everyCall(
      registryAt({
        baseUrl: server.url,
        credentials: { username: 'ci', password: 'pw' },
        transport: new NodeHttpTransport({ ca: tls.cert }),
      }),
    );
    expect(server.requests).toHaveLength(8);
    expect(server.connections).toBe(1);
  });

  it('says unavailable (retryable) for a certificate nobody vouches for', async () => {
    const server = await stub(wellBehaved, { tls });
    const error = await rejection(registryAt({ baseUrl: server.url }).listTags('app'));
    expect(error).toMatchObject({ code: ErrorCodes.unavailable, retryable: true });
    expect(error.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(server.requests).toHaveLength(0);
  });
});
