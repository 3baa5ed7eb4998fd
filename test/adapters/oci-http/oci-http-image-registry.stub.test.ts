import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { OciHttpImageRegistry } from '../../../src/adapters/oci-http/oci-http-image-registry.ts';
import { computeDigest } from '../../../src/core/digest.ts';
import { ErrorCodes } from '../../../src/core/errors.ts';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, Limits, MediaTypes } from '../../../src/core/media-types.ts';
import { type HttpStub, startHttpStub } from '../../support/http-stub.ts';
import { rejection } from '../../support/rejection.ts';

// Behaviour a well-behaved registry never shows (lying bytes, endless bodies, resets, redirects to
// storage, paging), served by tiny HTTP servers on 127.0.0.1.

const stubs: HttpStub[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

async function stub(handler: (request: IncomingMessage, response: ServerResponse) => unknown): Promise<HttpStub> {
  const started = await startHttpStub(handler);
  stubs.push(started);
  return started;
}

const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] }));
const manifestDigest = computeDigest(manifestBytes);
const configBytes = Buffer.from('{"architecture":"arm64","os":"linux"}');
const configDescriptor = { mediaType: MediaTypes.ociConfig, digest: computeDigest(configBytes), size: configBytes.length };

describe('fetchManifest from a misbehaving registry', () => {
  it('asks for every manifest and index media type', async () => {
    const server = await stub((_req, res) => res.writeHead(200, { 'content-type': MediaTypes.ociIndex }).end(manifestBytes));
    await new OciHttpImageRegistry({ baseUrl: server.url }).fetchManifest('app', manifestDigest);
    const accept = String(server.requests[0]?.headers.accept)
      .split(',')
      .map((t) => t.trim());
    expect(accept.sort()).toEqual([...ACCEPTED_MANIFEST_MEDIA_TYPES].sort());
  });

  it('says digest-mismatch when the bytes are not the ones asked for', async () => {
    const other = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [], annotations: { x: 'y' } }));
    const server = await stub((_req, res) => res.writeHead(200, { 'content-type': MediaTypes.ociIndex }).end(other));

    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchManifest('team/app', manifestDigest));

    expect(error).toMatchObject({ code: ErrorCodes.digestMismatch, details: { expected: manifestDigest, actual: computeDigest(other) } });
    expect(error.message).toContain(`team/app@${manifestDigest}`);
  });

  it('refuses a 5 MiB manifest from its Content-Length without reading it', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const server = await stub((_req, res) =>
      res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'content-length': big.length }).end(big),
    );

    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchManifest('app', manifestDigest));

    expect(error).toMatchObject({ code: ErrorCodes.tooLarge, details: { size: big.length, limit: Limits.manifestBytes } });
  });

  it('stops reading a body without Content-Length as soon as it passes the limit', async () => {
    let written = 0;
    let closedEarly = false;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const server = await stub((_req, res) => {
      res.writeHead(200, { 'content-type': MediaTypes.ociManifest });
      res.on('close', () => {
        closedEarly = !res.writableFinished;
      });
      // Endless: only the client closing the connection ends it.
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) {
          written += chunk.length;
          res.once('drain', pump);
        }
      };
      pump();
    });

    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchManifest('app', manifestDigest));

    expect(error.code).toBe(ErrorCodes.tooLarge);
    await expect.poll(() => closedEarly).toBe(true);
    // The server could only push what socket buffers hold beyond the 4 MiB the client read.
    expect(written).toBeLessThan(Limits.manifestBytes + 32 * 1024 * 1024);
  });

  it.each([
    ['with parameters', `${MediaTypes.ociIndex}; charset=utf-8`, MediaTypes.ociIndex],
    ['generic, from the manifest itself', 'application/json', MediaTypes.ociIndex],
    ['absent, from the manifest itself', undefined, MediaTypes.ociIndex],
  ])('reads the media type when the Content-Type is %s', async (_name, contentType, expected) => {
    const server = await stub((_req, res) =>
      res.writeHead(200, contentType === undefined ? {} : { 'content-type': contentType }).end(manifestBytes),
    );
    const manifest = await new OciHttpImageRegistry({ baseUrl: server.url }).fetchManifest('app', manifestDigest);
    expect(manifest.mediaType).toBe(expected);
  });
});

describe('fetchBlob from a misbehaving registry', () => {
  it('says digest-mismatch for bytes of the right size but other content', async () => {
    const server = await stub((_req, res) => res.writeHead(200).end(Buffer.from(configBytes.toString().replace('arm64', 'amd64'))));
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchBlob('app', configDescriptor, 1024));
    expect(error).toMatchObject({ code: ErrorCodes.digestMismatch, details: { expected: configDescriptor.digest } });
  });

  it('says digest-mismatch as soon as a streamed body passes the descriptor size', async () => {
    const server = await stub((_req, res) => {
      res.writeHead(200); // no Content-Length: chunked
      res.write(configBytes);
      res.end(Buffer.alloc(100_000));
    });
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchBlob('app', configDescriptor, 1024 * 1024));
    expect(error).toMatchObject({ code: ErrorCodes.digestMismatch, details: { expectedSize: configDescriptor.size } });
    expect(error.details.actualSize).toBeGreaterThan(configDescriptor.size);
  });

  it.each([
    ['says digest-mismatch', 1024 * 1024, ErrorCodes.digestMismatch],
    ['says too-large when it is also over maxBytes', 50_000, ErrorCodes.tooLarge],
  ])('%s for a declared Content-Length other than the descriptor size', async (_name, maxBytes, code) => {
    const body = Buffer.concat([configBytes, Buffer.alloc(100_000)]);
    const server = await stub((_req, res) => res.writeHead(200, { 'content-length': body.length }).end(body));
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchBlob('app', configDescriptor, maxBytes));
    expect(error.code).toBe(code);
  });

  it('follows a redirect to storage without sending it the registry credentials', async () => {
    const storage = await stub((_req, res) => res.writeHead(200).end(configBytes));
    const basic = `Basic ${Buffer.from('ci:pw').toString('base64')}`;
    const registry = await stub((req, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end();
      } else if (req.url?.startsWith('/v2/app/blobs/')) {
        // Same origin first, then to "object storage" on another port: another origin.
        res.writeHead(307, { location: `/storage-hop${req.url}` }).end();
      } else {
        res.writeHead(302, { location: `${storage.url}/signed?sig=abc` }).end();
      }
    });

    const bytes = await new OciHttpImageRegistry({ baseUrl: registry.url, credentials: { username: 'ci', password: 'pw' } }).fetchBlob(
      'app',
      configDescriptor,
      1024,
    );

    expect(Buffer.from(bytes).equals(configBytes)).toBe(true);
    expect(registry.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      [`/v2/app/blobs/${configDescriptor.digest}`, undefined],
      [`/v2/app/blobs/${configDescriptor.digest}`, basic],
      [`/storage-hop/v2/app/blobs/${configDescriptor.digest}`, basic],
    ]);
    expect(storage.requests.map((r) => [r.url, r.headers.authorization])).toEqual([['/signed?sig=abc', undefined]]);
  });

  it('gives up on endless redirects', async () => {
    const server = await stub((req, res) => res.writeHead(302, { location: `${req.url}x` }).end());
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchBlob('app', configDescriptor, 1024));
    expect(error.code).toBe(ErrorCodes.unavailable);
    expect(error.message).toContain('redirects');
  });
});

describe('resolveTag and putManifest against a misbehaving registry', () => {
  it('falls back to hashing the manifest when HEAD has no Docker-Content-Digest', async () => {
    const server = await stub((_req, res) => res.writeHead(200, { 'content-type': MediaTypes.ociIndex }).end(manifestBytes));
    expect(await new OciHttpImageRegistry({ baseUrl: server.url }).resolveTag('app', 'v1')).toBe(manifestDigest);
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });

  it('says digest-mismatch when the registry stored other bytes than those put', async () => {
    const server = await stub((_req, res) => res.writeHead(201, { 'docker-content-digest': computeDigest(Buffer.from('else')) }).end());
    const manifest = { mediaType: MediaTypes.ociIndex, digest: manifestDigest, size: manifestBytes.length, bytes: manifestBytes };
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).putManifest('app', '1.0', manifest));
    expect(error.code).toBe(ErrorCodes.digestMismatch);
    expect(server.requests[0]?.headers['content-type']).toBe(MediaTypes.ociIndex);
  });
});

describe('listTags against a paginating registry', () => {
  const allTags = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  function paginating(linkFor: (last: string, n: number) => string | undefined) {
    return stub((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const n = Number(url.searchParams.get('n'));
      const last = url.searchParams.get('last');
      const from = last === null ? 0 : allTags.indexOf(last) + 1;
      const page = allTags.slice(from, from + n);
      const after = page.at(-1);
      const link = after !== undefined && from + n < allTags.length ? linkFor(after, n) : undefined;
      res
        .writeHead(200, { 'content-type': 'application/json', ...(link === undefined ? {} : { link }) })
        .end(JSON.stringify({ name: 'app', tags: page }));
    });
  }

  it('follows Link rel="next" through every page', async () => {
    const server = await paginating((last, n) => `</v2/app/tags/list?last=${last}&n=${n}>; rel="next"`);
    expect(await new OciHttpImageRegistry({ baseUrl: server.url, tagPageSize: 3 }).listTags('app')).toEqual(allTags);
    expect(server.requests.map((r) => r.url)).toEqual([
      '/v2/app/tags/list?n=3',
      '/v2/app/tags/list?last=c&n=3',
      '/v2/app/tags/list?last=f&n=3',
    ]);
  });

  it('refuses a next page on another origin', async () => {
    const server = await paginating((last, n) => `<http://127.0.0.2:1/v2/app/tags/list?last=${last}&n=${n}>; rel="next"`);
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url, tagPageSize: 3 }).listTags('app'));
    expect(error.message).toContain('another origin');
  });

  it('stops when the pages go round in a circle', async () => {
    const server = await paginating((_last, n) => `</v2/app/tags/list?n=${n}>; rel="next"`);
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url, tagPageSize: 3 }).listTags('app'));
    expect(error.message).toContain('do not end');
  });
});

describe('error translation', () => {
  const errorBody = (code: string, message = 'something') => JSON.stringify({ errors: [{ code, message, detail: {} }] });
  const cases: Array<{
    name: string;
    status: number;
    body?: string;
    headers?: Record<string, string>;
    want: { code: string; retryable: boolean; details?: Record<string, unknown> };
  }> = [
    { name: 'MANIFEST_UNKNOWN', status: 404, body: errorBody('MANIFEST_UNKNOWN'), want: { code: ErrorCodes.notFound, retryable: false } },
    { name: 'NAME_UNKNOWN', status: 404, body: errorBody('NAME_UNKNOWN'), want: { code: ErrorCodes.notFound, retryable: false } },
    { name: 'a bare 404', status: 404, want: { code: ErrorCodes.notFound, retryable: false } },
    {
      name: 'UNAUTHORIZED without a challenge',
      status: 401,
      body: errorBody('UNAUTHORIZED'),
      want: { code: ErrorCodes.unauthorized, retryable: false },
    },
    { name: 'DENIED', status: 403, body: errorBody('DENIED'), want: { code: ErrorCodes.denied, retryable: false } },
    {
      name: 'TOOMANYREQUESTS with Retry-After',
      status: 429,
      body: errorBody('TOOMANYREQUESTS'),
      headers: { 'retry-after': '7' },
      want: { code: ErrorCodes.throttled, retryable: true, details: { retryAfterSeconds: 7, registryCode: 'TOOMANYREQUESTS' } },
    },
    { name: 'a bare 429', status: 429, want: { code: ErrorCodes.throttled, retryable: true } },
    { name: 'DIGEST_INVALID', status: 400, body: errorBody('DIGEST_INVALID'), want: { code: ErrorCodes.digestMismatch, retryable: false } },
    {
      name: 'MANIFEST_INVALID',
      status: 400,
      body: errorBody('MANIFEST_INVALID'),
      want: { code: ErrorCodes.unsupportedManifest, retryable: false },
    },
    { name: 'a 503 without body', status: 503, want: { code: ErrorCodes.unavailable, retryable: true, details: { status: 503 } } },
    { name: 'a 500 with HTML', status: 500, body: '<html>oops</html>', want: { code: ErrorCodes.unavailable, retryable: true } },
    { name: 'an unexpected 418', status: 418, want: { code: ErrorCodes.unavailable, retryable: false } },
  ];
  it.each(cases)('translates $name', async ({ status, body, headers, want }) => {
    const server = await stub((_req, res) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body));
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchManifest('team/app', manifestDigest));
    expect(error).toMatchObject({ ...want, details: { repository: 'team/app', reference: manifestDigest, status, ...want.details } });
    expect(error.message).toContain(`team/app@${manifestDigest}`);
  });

  it('says tag-immutable when the registry refuses to move an immutable tag', async () => {
    const message =
      "The image tag '1.0' already exists in the 'app' repository and cannot be overwritten because the repository is immutable.";
    const server = await stub((_req, res) =>
      res.writeHead(400, { 'content-type': 'application/json' }).end(errorBody('TAG_INVALID', message)),
    );
    const manifest = { mediaType: MediaTypes.ociIndex, digest: manifestDigest, size: manifestBytes.length, bytes: manifestBytes };
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).putManifest('app', '1.0', manifest));
    expect(error).toMatchObject({ code: ErrorCodes.tagImmutable, retryable: false });
    expect(error.message).toContain('app:1.0');
  });

  it('says unavailable (retryable) when the connection is reset', async () => {
    const server = await stub((req) => req.socket.destroy());
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).resolveTag('app', 'v1'));
    expect(error).toMatchObject({ code: ErrorCodes.unavailable, retryable: true });
    expect(error.message).toContain('app:v1');
  });

  it('says unavailable (retryable) when the body breaks off', async () => {
    const server = await stub((_req, res) => {
      res.writeHead(200, { 'content-type': MediaTypes.ociIndex, 'content-length': manifestBytes.length });
      res.write(manifestBytes.subarray(0, 10), () => res.destroy());
    });
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).fetchManifest('app', manifestDigest));
    expect(error).toMatchObject({ code: ErrorCodes.unavailable, retryable: true });
  });

  it('says unavailable (retryable) when nothing listens', async () => {
    const server = await stub(() => undefined);
    await server.close();
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url }).listTags('app'));
    expect(error).toMatchObject({ code: ErrorCodes.unavailable, retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('says unavailable (retryable) when the registry does not answer in time', async () => {
    const server = await stub(() => undefined); // never answers
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: server.url, timeoutMs: 200 }).resolveTag('app', 'v1'));
    expect(error).toMatchObject({ code: ErrorCodes.unavailable, retryable: true, details: { timedOut: true } });
    expect(error.message).toContain('timed out');
  });
});

describe('Bearer challenges', () => {
  async function tokenRegistry(tokenAnswer: (req: IncomingMessage, res: ServerResponse) => unknown) {
    const tokens = await stub(tokenAnswer);
    const registry = await stub((req, res) => {
      if (req.headers.authorization?.startsWith('Bearer ')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'app', tags: ['v1'] }));
      } else {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="reg",scope="repository:app:pull"` }).end();
      }
    });
    return { tokens, registry };
  }

  it('takes access_token, sends it, and asks again only once it expires', async () => {
    let issued = 0;
    const { tokens, registry } = await tokenRegistry((_req, res) => {
      issued += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `t${issued}`, expires_in: 60 }));
    });
    let now = 1_000_000;
    const client = new OciHttpImageRegistry({ baseUrl: registry.url, now: () => now });

    await client.listTags('app');
    await client.listTags('app');
    now += 56_000; // past expires_in less the 5 s margin
    await client.listTags('app');

    expect(tokens.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/token?service=reg&scope=repository%3Aapp%3Apull', undefined],
      ['/token?service=reg&scope=repository%3Aapp%3Apull', undefined],
    ]);
    // After expiry the request goes out bare: only the registry's new challenge names the realm again.
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, 'Bearer t1', 'Bearer t1', undefined, 'Bearer t2']);
  });

  it.each([
    ['a token service failure', 502, '{}', ErrorCodes.unavailable, true],
    ['a token response without a token', 200, '{"expires_in":60}', ErrorCodes.unauthorized, false],
    ['a refusal', 403, '{}', ErrorCodes.unauthorized, false],
  ])('translates %s', async (_name, status, body, code, retryable) => {
    const { registry } = await tokenRegistry((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
    const error = await rejection(new OciHttpImageRegistry({ baseUrl: registry.url }).listTags('app'));
    expect(error).toMatchObject({ code, retryable });
    expect(error.message).toContain('list tags app');
  });
});

describe('repository names', () => {
  it('asks the registry about a 255-character name and refuses a 256-character one without asking', async () => {
    const server = await stub((_req, res) => res.writeHead(404).end());
    const registry = new OciHttpImageRegistry({ baseUrl: server.url });
    const longest = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
    expect(await registry.resolveTag(longest, '2.7')).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    const error = await rejection(registry.resolveTag(`${longest}b`, '2.7'));
    expect(error).toMatchObject({ code: ErrorCodes.invalidInput, details: { repository: `${longest}b` } });
    expect(error.message).toContain('2 to 255 characters (this one has 256)');
    expect(server.requests).toHaveLength(1);
  });
});
