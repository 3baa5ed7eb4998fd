import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../src/handlers/api.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import { recordedImage } from '../core/fixtures.ts';
import { apiEvent, ecrPushEvent, type Harness, lambdaContext, makeHarness } from './handler-harness.ts';

function call(h: Harness, ...args: Parameters<typeof apiEvent>) {
  return createApiHandler(h.deps)(apiEvent(...args), lambdaContext);
}

function json(response: { body?: string }) {
  return JSON.parse(response.body ?? 'null');
}

describe('api handler (real middy pipeline, in-memory ports)', () => {
  it('answers health', async () => {
    const response = await call(makeHarness(), 'GET', '/v1/health');
    // Every 200 GET carries an ETag (conditional GET, what the dashboard polls with).
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json', etag: expect.stringMatching(/^"[\w-]{27}"$/) },
      body: '{"status":"ok"}',
    });
  });

  it('answers a GET whose If-None-Match names the current ETag with an empty 304, through the real pipeline', async () => {
    const h = makeHarness();
    const first = await call(h, 'GET', '/v1/repositories');
    const etag = String(first.headers?.etag);
    expect(await call(h, 'GET', '/v1/repositories', { headers: { 'if-none-match': etag } })).toEqual({
      statusCode: 304,
      headers: { etag },
      body: '',
    });
    await call(h, 'PUT', '/v1/repositories/hello/config', { body: { requiredPlatforms: ['linux/amd64'] } });
    expect((await call(h, 'GET', '/v1/repositories', { headers: { 'if-none-match': etag } })).statusCode).toBe(200);
  });

  it('stores a config normalised, returns it, lists it and deletes it (repository names with /)', async () => {
    const h = makeHarness();
    const put = await call(h, 'PUT', '/v1/repositories/team/hello/config', {
      body: { requiredPlatforms: ['linux/aarch64', 'linux/x86_64'] },
    });
    expect(put.statusCode).toBe(200);
    const stored = {
      requiredPlatforms: ['linux/arm64', 'linux/amd64'],
      optionalPlatforms: [],
      tagPattern: '^(?<version>.+)-(?<platform>[^-]+)$',
      targetTags: ['{version}'],
      indexMediaType: 'auto',
      platformOverrides: {},
      staleAfter: null,
      onStale: 'wait',
      onDrift: 'report',
      annotations: {},
    };
    expect(json(put)).toEqual(stored);
    expect(json(await call(h, 'GET', '/v1/repositories/team/hello/config'))).toEqual(stored);
    expect(json(await call(h, 'GET', '/v1/repositories'))).toEqual({ repositories: [{ repository: 'team/hello', config: stored }] });
    expect((await call(h, 'DELETE', '/v1/repositories/team/hello/config')).statusCode).toBe(204);
    const gone = await call(h, 'GET', '/v1/repositories/team/hello/config');
    expect(gone.statusCode).toBe(404);
    expect(gone.headers).toEqual({ 'content-type': 'application/problem+json' });
  });

  it.each([
    ['an unknown field', { requiredPlatforms: ['linux/amd64'], colour: 'blue' }, 'body.colour'],
    ['no required platform', { requiredPlatforms: [] }, 'body.requiredPlatforms'],
    ['a bad platform', { requiredPlatforms: ['linux/amd64', 'linux'] }, 'body.requiredPlatforms[1]'],
    ['a duplicate platform', { requiredPlatforms: ['linux/arm64', 'linux/arm64/v8'] }, 'body.requiredPlatforms'],
    ['a pattern without version group', { requiredPlatforms: ['linux/amd64'], tagPattern: '^(.+)-amd64$' }, 'body.tagPattern'],
    [
      'a pattern RE2 cannot run (lookahead)',
      { requiredPlatforms: ['linux/amd64'], tagPattern: '^(?<version>.+)(?=-x)' },
      'body.tagPattern',
    ],
    ['only floating target tags (no {version})', { requiredPlatforms: ['linux/amd64'], targetTags: ['latest'] }, 'body.targetTags'],
    [
      'a floating target tag with an unknown placeholder',
      { requiredPlatforms: ['linux/amd64'], targetTags: ['{version}', '{arch}'] },
      'body.targetTags[1]',
    ],
    ['a bad staleAfter', { requiredPlatforms: ['linux/amd64'], staleAfter: '2 hours' }, 'body.staleAfter'],
    ['a wrong onStale', { requiredPlatforms: ['linux/amd64'], onStale: 'panic' }, 'body.onStale'],
    ['a wrong index media type', { requiredPlatforms: ['linux/amd64'], indexMediaType: 'zip' }, 'body.indexMediaType'],
  ])('refuses a config with %s: 400 naming %s, nothing stored', async (_name, body, field) => {
    const h = makeHarness();
    const response = await call(h, 'PUT', '/v1/repositories/hello/config', { body });
    expect(response.statusCode).toBe(400);
    const problem = json(response);
    expect(problem).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400, field });
    expect(problem.detail).toContain(field);
    expect(await h.store.getRepositoryConfig('hello')).toBeUndefined();
  });

  it.each([
    ['a bad repository name', 'PUT', '/v1/repositories/Hello/config', 400],
    ['a bad version', 'GET', '/v1/repositories/hello/versions/bad%20version', 400],
    ['an unknown route', 'GET', '/v2/whatever', 404],
    ['a wrong method', 'PATCH', '/v1/repositories/hello/config', 405],
  ])('answers %s with a problem', async (_name, method, path, status) => {
    const response = await call(makeHarness(), method, path, { body: { requiredPlatforms: ['linux/amd64'] } });
    expect(response.statusCode).toBe(status);
    expect(json(response)).toMatchObject({ status });
  });

  it('refuses bodies that are not JSON (400), not JSON typed (415) or too large (413)', async () => {
    const h = makeHarness();
    expect((await call(h, 'PUT', '/v1/repositories/hello/config', { rawBody: '{oops' })).statusCode).toBe(400);
    expect(
      (await call(h, 'PUT', '/v1/repositories/hello/config', { rawBody: 'a', headers: { 'content-type': 'text/plain' } })).statusCode,
    ).toBe(415);
    expect((await call(h, 'PUT', '/v1/repositories/hello/config', { rawBody: 'x'.repeat(1024 * 1024 + 1) })).statusCode).toBe(413);
  });

  it('reports versions, lists them with a state filter, and publishes on request', async () => {
    const h = makeHarness();
    await call(h, 'PUT', '/v1/repositories/hello/config', { body: { requiredPlatforms: ['linux/amd64', 'linux/arm64'] } });
    const amd = h.registry.addImage('hello', { platform: 'linux/amd64', tag: '2.7-amd64' });
    await createOnImagePushHandler(h.deps)(ecrPushEvent('hello', amd.manifest.digest, '2.7-amd64'), lambdaContext);

    const waiting = json(await call(h, 'GET', '/v1/repositories/hello/versions/2.7'));
    expect(waiting).toMatchObject({
      repository: 'hello',
      version: '2.7',
      state: 'waiting',
      requiredPlatforms: ['linux/amd64', 'linux/arm64'],
      missingPlatforms: ['linux/arm64'],
      images: [{ platform: 'linux/amd64', digest: amd.manifest.digest, tag: '2.7-amd64', size: amd.manifest.size }],
      published: null,
      error: null,
    });

    const incomplete = await call(h, 'POST', '/v1/repositories/hello/versions/2.7/publish', { body: {} });
    expect(incomplete.statusCode).toBe(409);
    expect(json(incomplete)).toMatchObject({ missingPlatforms: ['linux/arm64'], code: 'incomplete' });

    const partial = await call(h, 'POST', '/v1/repositories/hello/versions/2.7/publish', { body: { allowPartial: true } });
    expect(partial.statusCode).toBe(200);
    const digest = await h.registry.resolveTag('hello', '2.7');
    expect(json(partial).published).toMatchObject({ digest, tags: ['2.7'] });

    expect(json(await call(h, 'GET', '/v1/repositories/hello/versions', { query: 'state=waiting' })).versions).toHaveLength(1);
    expect(json(await call(h, 'GET', '/v1/repositories/hello/versions', { query: 'state=published' })).versions).toHaveLength(0);
    expect((await call(h, 'GET', '/v1/repositories/hello/versions', { query: 'state=bogus' })).statusCode).toBe(400);
    expect((await call(h, 'GET', '/v1/repositories/hello/versions/9.9')).statusCode).toBe(404);
  });

  describe('when the config of a version being published is deleted', () => {
    it('reports the version waiting for a config (never publishing), with the reason, until the config is set again', async () => {
      const h = makeHarness();
      await call(h, 'PUT', '/v1/repositories/team/hello/config', { body: { requiredPlatforms: ['linux/amd64', 'linux/arm64'] } });
      // Complete and leased: a publisher took it (and crashed, or is still working).
      const images = [recordedImage('linux/amd64', { tag: '2.7-amd64' }), recordedImage('linux/arm64', { tag: '2.7-arm64' })];
      await h.store.updateImages(
        { repository: 'team/hello', version: '2.7' },
        { set: images, remove: [] },
        { expectedRevision: 0, now: h.clock.now() },
      );
      await h.store.acquireLease(
        { repository: 'team/hello', version: '2.7' },
        { owner: 'crashed-publisher', now: h.clock.now(), leaseMs: 60_000 },
      );
      expect(json(await call(h, 'GET', '/v1/repositories/team/hello/versions/2.7'))).toMatchObject({ state: 'publishing' });

      expect((await call(h, 'DELETE', '/v1/repositories/team/hello/config')).statusCode).toBe(204);

      const status = json(await call(h, 'GET', '/v1/repositories/team/hello/versions/2.7'));
      expect(status).toMatchObject({
        state: 'waiting',
        requiredPlatforms: [],
        missingPlatforms: [],
        error: 'repository team/hello has no configuration; set it again to publish this version',
      });
      const listed = json(await call(h, 'GET', '/v1/repositories/team/hello/versions', { query: 'state=publishing' }));
      expect(listed.versions).toEqual([]);
      const waiting = json(await call(h, 'GET', '/v1/repositories/team/hello/versions', { query: 'state=waiting' }));
      expect(waiting.versions.map((v: { version: string }) => v.version)).toEqual(['2.7']);

      await call(h, 'PUT', '/v1/repositories/team/hello/config', { body: { requiredPlatforms: ['linux/amd64', 'linux/arm64'] } });
      expect(json(await call(h, 'GET', '/v1/repositories/team/hello/versions/2.7'))).toMatchObject({ state: 'publishing', error: null });
    });
  });

  describe('when a push is refused', () => {
    it('shows the refusal in the status of a version whose only push was refused (not a 404)', async () => {
      const h = makeHarness();
      await call(h, 'PUT', '/v1/repositories/team/hello/config', { body: { requiredPlatforms: ['linux/amd64', 'linux/arm64'] } });
      const digest = h.registry.addImage('team/hello', { platform: 'linux/arm64', config: { os: 'linux' }, tag: '2.7-arm64' }).manifest
        .digest;
      const outcome = await createOnImagePushHandler(h.deps, { timeoutEarlyInMillis: 0 })(
        ecrPushEvent('team/hello', digest, '2.7-arm64'),
        lambdaContext,
      );
      expect(outcome).toMatchObject({ kind: 'rejected' });

      const response = await call(h, 'GET', '/v1/repositories/team/hello/versions/2.7');
      expect(response.statusCode).toBe(200);
      const status = json(response);
      expect(status).toMatchObject({ state: 'failed', images: [], missingPlatforms: ['linux/amd64', 'linux/arm64'], published: null });
      expect(status.rejected).toEqual([
        { tag: '2.7-arm64', digest, reason: expect.stringContaining('has no architecture'), at: expect.any(String) },
      ]);
      expect(status.error).toMatch(
        /^push of 2\.7-arm64 \(sha256:[0-9a-f]{64}\) was refused: .*has no architecture.*; push a fixed image under that tag$/,
      );
      const listed = json(await call(h, 'GET', '/v1/repositories/team/hello/versions'));
      expect(listed.versions).toMatchObject([{ version: '2.7', state: 'failed', rejected: [{ tag: '2.7-arm64' }] }]);
    });
  });
});
