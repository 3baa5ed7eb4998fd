import { describe, expect, it } from 'vitest';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createApiHandler, MAX_BODY_BYTES } from '../../src/handlers/api.ts';
import { apiEvent, type Harness, lambdaContext, makeHarness } from './handler-harness.ts';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];

async function harness(): Promise<Harness> {
  const h = makeHarness();
  await h.store.putRepositoryConfig('hello', normaliseRepositoryConfig({ requiredPlatforms: PLATFORMS }));
  return h;
}

async function call(h: Harness, method: string, path: string, options: Parameters<typeof apiEvent>[2] = {}) {
  const response = await createApiHandler(h.deps, { timeoutEarlyInMillis: 0 })(apiEvent(method, path, options), lambdaContext);
  return { ...response, json: JSON.parse(response.body || 'null') as Record<string, unknown> };
}

/** A 400 problem naming `field` in both `field` and `detail`. */
function expectBadRequest(response: Awaited<ReturnType<typeof call>>, field: string): void {
  expect(response.statusCode, JSON.stringify(response.json)).toBe(400);
  expect(response.headers).toMatchObject({ 'content-type': 'application/problem+json' });
  expect(response.json).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400, code: 'invalid-input', field });
  expect(response.json.detail).toContain(field);
}

describe('repository names in the path', () => {
  const routes: Array<[string, (name: string) => string]> = [
    ['GET', (n) => `/v1/repositories/${n}/config`],
    ['PUT', (n) => `/v1/repositories/${n}/config`],
    ['DELETE', (n) => `/v1/repositories/${n}/config`],
    ['GET', (n) => `/v1/repositories/${n}/versions`],
    ['GET', (n) => `/v1/repositories/${n}/versions/2.7`],
    ['POST', (n) => `/v1/repositories/${n}/versions/2.7/publish`],
    ['POST', (n) => `/v1/repositories/${n}/reconcile`],
    ['POST', (n) => `/v1/repositories/${n}/backfill`],
  ];
  const names: Array<[string, string, 'ok' | 'bad']> = [
    ['a plain name', 'hello', 'ok'],
    ['a name with a namespace', 'team/hello', 'ok'],
    ['separators . _ __ -', 'a.b_c__d--e/f1', 'ok'],
    ['a percent-encoded slash', 'team%2Fhello', 'ok'],
    ['upper case', 'Hello', 'bad'],
    ['one character', 'h', 'bad'],
    ['a leading dash', '-hello', 'bad'],
    ['a trailing dot', 'hello.', 'bad'],
    ['two dots', 'hel..lo', 'bad'],
    ['an empty component', 'team//hello', 'bad'],
    ['a space', 'hel%20lo', 'bad'],
    ['a malformed escape', 'hel%ZZlo', 'bad'],
    ['255 characters (the most)', `${'a'.repeat(127)}/${'b'.repeat(127)}`, 'ok'],
    ['256 characters', `${'a'.repeat(128)}/${'b'.repeat(127)}`, 'bad'],
    ['257 characters', 'a'.repeat(257), 'bad'],
  ];
  for (const [method, path] of routes) {
    it.each(names)(`${method} ${path('{repository}')} with %s (%s)`, async (_name, name, expected) => {
      const h = await harness();
      const response = await call(
        h,
        method,
        path(name),
        method === 'PUT' ? { body: { requiredPlatforms: PLATFORMS } } : method === 'POST' ? { body: {} } : {},
      );
      if (expected === 'bad') {
        expectBadRequest(response, 'repository');
        expect(h.registry.puts).toEqual([]);
        expect((await h.store.listRepositoryConfigs()).map((c) => c.repository)).toEqual(['hello']);
      } else {
        expect(response.statusCode, JSON.stringify(response.json)).not.toBe(400);
      }
    });
  }
});

describe('versions in the path', () => {
  it.each([
    ['2.7', 'ok'],
    ['v2.7.1-rc1_b', 'ok'],
    ['_x', 'ok'],
    ['.hidden', 'bad'],
    ['-rc', 'bad'],
    ['bad%20version', 'bad'],
    ['a%2Fb', 'bad'],
    ['x'.repeat(129), 'bad'],
  ])('%s (%s) in GET …/versions/{v} and POST …/publish', async (version, expected) => {
    const h = await harness();
    for (const [method, path] of [
      ['GET', `/v1/repositories/hello/versions/${version}`],
      ['POST', `/v1/repositories/hello/versions/${version}/publish`],
    ] as const) {
      const response = await call(h, method, path, method === 'POST' ? { body: {} } : {});
      if (expected === 'bad') expectBadRequest(response, 'version');
      else expect(response.statusCode).toBe(404); // valid, and nothing recorded
    }
  });
});

describe('PUT …/config bodies', () => {
  const ok = { requiredPlatforms: PLATFORMS };
  it.each<[string, unknown, string | null]>([
    ['a minimal config', ok, null],
    [
      'every field',
      {
        ...ok,
        optionalPlatforms: ['linux/arm/v7'],
        tagPattern: '^(?<version>.+)_(?<platform>.+)$',
        targetTags: ['{version}', 'v{version}'],
        indexMediaType: 'oci',
        platformOverrides: { arm: 'linux/arm64' },
        staleAfter: '6h',
        onStale: 'publish-partial',
        onDrift: 'restore',
        annotations: { 'org.opencontainers.image.source': 'https://x' },
      },
      null,
    ],
    ['upper-case platforms (normalised)', { requiredPlatforms: ['LINUX/AMD64'] }, null],
    // platforms
    ['a platform without architecture', { requiredPlatforms: ['linux'] }, 'body.requiredPlatforms[0]'],
    ['a platform with four components', { requiredPlatforms: ['linux/arm64/v8/x'] }, 'body.requiredPlatforms[0]'],
    ['a platform with a space', { requiredPlatforms: ['linux/amd 64'] }, 'body.requiredPlatforms[0]'],
    ['unknown/unknown', { requiredPlatforms: ['unknown/unknown'] }, 'body.requiredPlatforms[0]'],
    ['a bad os.version', { requiredPlatforms: ['windows(10 0)/amd64'] }, 'body.requiredPlatforms[0]'],
    ['a platform twice under two spellings', { requiredPlatforms: ['linux/arm64', 'linux/aarch64'] }, 'body.requiredPlatforms'],
    ['an optional platform that is required', { ...ok, optionalPlatforms: ['linux/x86_64'] }, 'body.optionalPlatforms'],
    ['a bad optional platform', { ...ok, optionalPlatforms: ['arm'] }, 'body.optionalPlatforms[0]'],
    ['an override to a bad platform', { ...ok, platformOverrides: { arm: 'arm' } }, 'body.platformOverrides.arm'],
    ['an override with an empty key', { ...ok, platformOverrides: { '': 'linux/arm64' } }, 'body.platformOverrides[""]'],
    // prototype keys: legal tag suffixes are ordinary keys; __proto__ is refused, never dropped
    ['an override keyed constructor', { ...ok, platformOverrides: { constructor: 'linux/arm64' } }, null],
    [
      'overrides keyed toString and hasOwnProperty',
      { ...ok, platformOverrides: { toString: 'linux/arm64', hasOwnProperty: 'linux/amd64' } },
      null,
    ],
    [
      'an override keyed __proto__ (text)',
      JSON.parse('{"requiredPlatforms":["linux/amd64"],"platformOverrides":{"__proto__":"linux/arm64"}}'),
      'body.platformOverrides.__proto__',
    ],
    [
      'an override keyed __proto__ (object)',
      JSON.parse('{"requiredPlatforms":["linux/amd64"],"platformOverrides":{"__proto__":{"x":"linux/arm64"}}}'),
      'body.platformOverrides.__proto__',
    ],
    ['an unknown field with a space', { ...ok, 'required platforms': PLATFORMS }, 'body["required platforms"]'],
    // annotations
    [
      'annotations named like Object.prototype members',
      { ...ok, annotations: { constructor: 'c', toString: 't', 'com.example/x': '' } },
      null,
    ],
    [
      'a __proto__ annotation key',
      { ...ok, annotations: JSON.parse('{"com.example.a":"1","__proto__":"x"}') as unknown },
      'body.annotations.__proto__',
    ],
    [
      'a __proto__ annotation key holding an object',
      { ...ok, annotations: JSON.parse('{"__proto__":{"a":"b"}}') as unknown },
      'body.annotations.__proto__',
    ],
    ['an annotation key with a space', { ...ok, annotations: { 'com.example key': 'x' } }, 'body.annotations["com.example key"]'],
    [
      'an annotation key of 129 characters',
      { ...ok, annotations: { [`k${'x'.repeat(128)}`]: 'x' } },
      `body.annotations.k${'x'.repeat(128)}`,
    ],
    [
      'an annotation value of 1025 characters',
      { ...ok, annotations: { 'com.example.a': 'x'.repeat(1025) } },
      'body.annotations["com.example.a"]',
    ],
    ['an annotation value that is a number', { ...ok, annotations: { 'com.example.a': 1 } }, 'body.annotations["com.example.a"]'],
    [
      '33 annotations',
      { ...ok, annotations: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`com.example.k${i}`, 'v'])) },
      'body.annotations',
    ],
    ['annotations as an array', { ...ok, annotations: [['a', 'b']] }, 'body.annotations'],
    // tag patterns
    ['a pattern without a version group', { ...ok, tagPattern: '^(.+)-(?<platform>[^-]+)$' }, 'body.tagPattern'],
    ['a pattern that is not a regular expression', { ...ok, tagPattern: '^(?<version>[a-z' }, 'body.tagPattern'],
    ['a lookahead (not RE2)', { ...ok, tagPattern: '^(?<version>.+)(?=-x)' }, 'body.tagPattern'],
    ['a lookbehind (not RE2)', { ...ok, tagPattern: '^(?<version>.+)(?<=-x)$' }, 'body.tagPattern'],
    ['a backreference (not RE2)', { ...ok, tagPattern: '^(?<version>(a)\\1)$' }, 'body.tagPattern'],
    ['an empty pattern', { ...ok, tagPattern: '' }, 'body.tagPattern'],
    ['a pattern of 513 characters', { ...ok, tagPattern: `(?<version>${'a'.repeat(502)})` }, 'body.tagPattern'],
    // target tags
    ['only floating target tags (no {version})', { ...ok, targetTags: ['latest'] }, 'body.targetTags'],
    ['a floating target tag with an unknown placeholder', { ...ok, targetTags: ['{version}', 'v{arch}'] }, 'body.targetTags[1]'],
    ['two target tags making one tag', { ...ok, targetTags: ['{version}', '{major}.{minor}.{patch}'] }, 'body.targetTags[1]'],
    ['a target tag that is no tag', { ...ok, targetTags: ['{version}:x'] }, 'body.targetTags[0]'],
    ['an unknown placeholder', { ...ok, targetTags: ['{version}-{arch}'] }, 'body.targetTags[0]'],
    ['no target tags', { ...ok, targetTags: [] }, 'body.targetTags'],
    ['a target tag twice', { ...ok, targetTags: ['{version}', '{version}'] }, 'body.targetTags'],
    // policies
    ['a staleAfter without unit', { ...ok, staleAfter: '90' }, 'body.staleAfter'],
    ['a staleAfter under a minute', { ...ok, staleAfter: '30s' }, 'body.staleAfter'],
    ['a staleAfter as a number', { ...ok, staleAfter: 3600 }, 'body.staleAfter'],
    ['an unknown onStale', { ...ok, onStale: 'publish' }, 'body.onStale'],
    ['an unknown onDrift', { ...ok, onDrift: 'ignore' }, 'body.onDrift'],
    ['an unknown indexMediaType', { ...ok, indexMediaType: 'zip' }, 'body.indexMediaType'],
    // shapes
    ['an unknown field', { ...ok, requiredPlatfroms: PLATFORMS }, 'body.requiredPlatfroms'],
    ['a field not stored per repository', { ...ok, repository: 'hello' }, 'body.repository'],
    ['requiredPlatforms as a string', { requiredPlatforms: 'linux/amd64' }, 'body.requiredPlatforms'],
    ['a platform as a number', { requiredPlatforms: [64] }, 'body.requiredPlatforms[0]'],
    ['no requiredPlatforms', { optionalPlatforms: PLATFORMS }, 'body.requiredPlatforms'],
    ['no required platform', { requiredPlatforms: [] }, 'body.requiredPlatforms'],
    ['platformOverrides as an array', { ...ok, platformOverrides: ['linux/arm64'] }, 'body.platformOverrides'],
    ['a body that is an array', [ok], 'body'],
    ['a body that is a string', 'linux/amd64', 'body'],
    ['a body that is null', null, 'body'],
  ])('%s', async (_name, body, field) => {
    const h = makeHarness();
    const response = await call(h, 'PUT', '/v1/repositories/hello/config', { rawBody: JSON.stringify(body) });
    if (field === null) {
      expect(response.statusCode, JSON.stringify(response.json)).toBe(200);
      expect(await h.store.getRepositoryConfig('hello')).toEqual(response.json);
      return;
    }
    expectBadRequest(response, field);
    expect(await h.store.getRepositoryConfig('hello')).toBeUndefined();
  });

  it('stores and answers overrides keyed constructor, toString and hasOwnProperty as ordinary keys', async () => {
    const h = makeHarness();
    const platformOverrides = { constructor: 'linux/arm64', toString: 'linux/amd64', hasOwnProperty: 'linux/arm/v7' };
    const response = await call(h, 'PUT', '/v1/repositories/hello/config', { body: { requiredPlatforms: PLATFORMS, platformOverrides } });
    expect(response.json.platformOverrides).toStrictEqual({
      constructor: 'linux/arm64',
      toString: 'linux/amd64',
      hasOwnProperty: 'linux/arm/v7',
    });
    const stored = await h.store.getRepositoryConfig('hello');
    expect(Object.keys(stored?.platformOverrides ?? {})).toStrictEqual(['constructor', 'toString', 'hasOwnProperty']);
  });

  it('says why __proto__ is refused as an override key', async () => {
    const response = await call(makeHarness(), 'PUT', '/v1/repositories/hello/config', {
      rawBody: '{"requiredPlatforms":["linux/amd64"],"platformOverrides":{"arm":"linux/arm64","__proto__":{"polluted":"yes"}}}',
    });
    expectBadRequest(response, 'body.platformOverrides.__proto__');
    expect(response.json.detail).toBe(
      'body.platformOverrides.__proto__: "__proto__" cannot be a key (it names the object prototype in JavaScript)',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a PUT without a body, naming the body', async () => {
    expectBadRequest(await call(makeHarness(), 'PUT', '/v1/repositories/hello/config'), 'body');
  });

  it('keeps the old config when a new one is refused', async () => {
    const h = await harness();
    const before = await h.store.getRepositoryConfig('hello');
    expectBadRequest(
      await call(h, 'PUT', '/v1/repositories/hello/config', { body: { requiredPlatforms: ['linux'] } }),
      'body.requiredPlatforms[0]',
    );
    expect(await h.store.getRepositoryConfig('hello')).toEqual(before);
  });
});

describe('POST bodies', () => {
  it.each<[string, string, unknown, string | null]>([
    ['publish', '/v1/repositories/hello/versions/2.7/publish', { allowPartial: true }, null],
    ['publish', '/v1/repositories/hello/versions/2.7/publish', { allowPartial: 'yes' }, 'body.allowPartial'],
    ['publish', '/v1/repositories/hello/versions/2.7/publish', { force: true }, 'body.force'],
    ['publish', '/v1/repositories/hello/versions/2.7/publish', [true], 'body'],
    ['reconcile', '/v1/repositories/hello/reconcile', {}, null],
    ['reconcile', '/v1/repositories/hello/reconcile', { cursor: null }, null],
    ['reconcile', '/v1/repositories/hello/reconcile', { cursor: 5 }, 'body.cursor'],
    ['reconcile', '/v1/repositories/hello/reconcile', { cursor: '' }, 'body.cursor'],
    ['reconcile', '/v1/repositories/hello/reconcile', { cursor: 'not-a-cursor' }, 'cursor'],
    ['reconcile', '/v1/repositories/hello/reconcile', { limit: 5 }, 'body.limit'],
    ['backfill', '/v1/repositories/hello/backfill', { dryRun: true }, null],
    ['backfill', '/v1/repositories/hello/backfill', { dryRun: 'true' }, 'body.dryRun'],
    ['backfill', '/v1/repositories/hello/backfill', { cursor: 'x'.repeat(4097) }, 'body.cursor'],
    ['backfill', '/v1/repositories/hello/backfill', { cursor: 'not-a-cursor' }, 'cursor'],
    ['backfill', '/v1/repositories/hello/backfill', { dry_run: true }, 'body.dry_run'],
    ['reconcile-all', '/v1/reconcile', {}, null],
    ['reconcile-all', '/v1/reconcile', { repository: 'hello' }, 'body.repository'],
  ])('%s with %j', async (_route, path, body, field) => {
    const h = await harness();
    h.registry.addImage('hello', { platform: 'linux/amd64', tag: '2.7-amd64' });
    await call(h, 'POST', '/v1/repositories/hello/reconcile', { body: {} }); // records 2.7 so publish has a version
    const putsBefore = h.registry.puts.length;
    const response = await call(h, 'POST', path, { body });
    if (field === null) {
      expect(response.statusCode, JSON.stringify(response.json)).toBe(200);
      return;
    }
    expectBadRequest(response, field);
    expect(h.registry.puts.length).toBe(putsBefore);
  });

  it.each([
    ['POST', '/v1/repositories/nothere/reconcile'],
    ['POST', '/v1/repositories/nothere/backfill'],
    ['POST', '/v1/repositories/nothere/versions/2.7/publish'],
    ['GET', '/v1/repositories/nothere/config'],
    ['GET', '/v1/repositories/hello/versions/9.9'],
  ])('%s %s of something unknown is a 404 naming it', async (method, path) => {
    const h = await harness();
    const response = await call(h, method, path, method === 'POST' ? { body: {} } : {});
    expect(response.statusCode).toBe(404);
    expect(response.json).toMatchObject({ status: 404, title: 'Not Found' });
    expect(response.json.detail).toMatch(/nothere|9\.9/);
  });
});

describe('oversized and non-JSON bodies', () => {
  it.each([
    ['PUT', '/v1/repositories/hello/config'],
    ['POST', '/v1/repositories/hello/versions/2.7/publish'],
    ['POST', '/v1/repositories/hello/reconcile'],
    ['POST', '/v1/repositories/hello/backfill'],
    ['POST', '/v1/reconcile'],
  ])('%s %s: 413 over the limit, 400 not JSON, 415 not typed JSON; nothing changed', async (method, path) => {
    const h = await harness();
    const before = await h.store.getRepositoryConfig('hello');
    const big = `{"requiredPlatforms":["linux/amd64"],"pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
    const tooLarge = await call(h, method, path, { rawBody: big });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json).toMatchObject({ status: 413, title: 'Payload Too Large' });
    expect(tooLarge.json.detail).toContain(`${MAX_BODY_BYTES}-byte limit`);
    const base64 = await createApiHandler(h.deps, { timeoutEarlyInMillis: 0 })(
      { ...apiEvent(method, path, { rawBody: Buffer.from(big).toString('base64') }), isBase64Encoded: true },
      lambdaContext,
    );
    expect(base64.statusCode).toBe(413);

    const notJson = await call(h, method, path, { rawBody: '{"requiredPlatforms": [' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json).toMatchObject({ field: 'body' });
    expect(notJson.json.detail).toContain('not valid JSON');
    expect(
      (await call(h, method, path, { rawBody: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode,
    ).toBe(415);

    expect(await h.store.getRepositoryConfig('hello')).toEqual(before);
    expect(h.registry.puts).toEqual([]);
  });

  it('accepts a body of exactly the limit (it is then judged on its content)', async () => {
    const h = await harness();
    const padding = MAX_BODY_BYTES - '{"requiredPlatforms":["linux/amd64"],"pad":""}'.length;
    const response = await call(h, 'PUT', '/v1/repositories/hello/config', {
      rawBody: `{"requiredPlatforms":["linux/amd64"],"pad":"${'x'.repeat(padding)}"}`,
    });
    expectBadRequest(response, 'body.pad');
  });
});

describe('GET …/versions query', () => {
  it.each<[string, string | null]>([
    ['', null],
    ['state=waiting&limit=10', null],
    ['state=stale', null],
    ['limit=100', null],
    ['state=bogus', 'query.state'],
    ['state=', 'query.state'],
    ['limit=0', 'query.limit'],
    ['limit=101', 'query.limit'],
    ['limit=1.5', 'query.limit'],
    ['limit=ten', 'query.limit'],
    ['limit=', 'query.limit'],
    ['cursor=', 'query.cursor'],
    ['cursor=not-a-cursor', 'cursor'],
    ['cursor=eyJyZXBvc2l0b3J5Ijoib3RoZXIiLCJ2ZXJzaW9uIjoiMSJ9', 'cursor'],
    ['colour=blue', 'query.colour'],
  ])('?%s', async (query, field) => {
    const h = await harness();
    const response = await call(h, 'GET', '/v1/repositories/hello/versions', { query });
    if (field === null) expect(response.statusCode, JSON.stringify(response.json)).toBe(200);
    else expectBadRequest(response, field);
  });
});

describe('routes and methods', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/v1'],
    ['GET', '/v2/health'],
    ['GET', '/v1/health/x'],
    ['GET', '/v1/repositories/hello'],
    ['GET', '/v1/repositories/hello/unknown'],
    ['GET', '/v1/repositories/hello/versions/2.7/images'],
    ['POST', '/v1/hooks/unknown'],
  ])('%s %s is 404', async (method, path) => {
    const response = await call(makeHarness(), method, path);
    expect(response.statusCode).toBe(404);
    expect(response.json).toMatchObject({ status: 404, title: 'Not Found', detail: `no route for ${method} ${path}` });
  });

  it.each([
    ['POST', '/v1/health', 'GET'],
    ['DELETE', '/v1/repositories', 'GET'],
    ['GET', '/v1/reconcile', 'POST'],
    ['PATCH', '/v1/repositories/hello/config', 'GET, PUT, DELETE'],
    ['POST', '/v1/repositories/hello/config', 'GET, PUT, DELETE'],
    ['PUT', '/v1/repositories/hello/versions', 'GET'],
    ['DELETE', '/v1/repositories/hello/versions/2.7', 'GET'],
    ['GET', '/v1/repositories/hello/versions/2.7/publish', 'POST'],
    ['GET', '/v1/repositories/hello/reconcile', 'POST'],
    ['PUT', '/v1/repositories/team/hello/backfill', 'POST'],
  ])('%s %s is 405 with Allow: %s', async (method, path, allow) => {
    const h = await harness();
    const response = await call(h, method, path, { body: {} });
    expect(response.statusCode).toBe(405);
    expect(response.headers).toMatchObject({ allow, 'content-type': 'application/problem+json' });
    expect(response.json.detail).toContain(allow);
    expect(await h.store.getRepositoryConfig('hello')).toBeDefined();
  });
});
