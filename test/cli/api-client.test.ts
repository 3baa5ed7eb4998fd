import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, repositoryPath } from '../../src/cli/api-client.ts';
import { ApiError } from '../../src/cli/api-error.ts';
import { CliError } from '../../src/cli/cli-error.ts';
import { BearerAuth } from '../../src/cli/request-auth.ts';
import { FakeApiServer, versionStatus } from './support/fake-api-server.ts';

const TOKEN = 'local-token-123';

describe('ApiClient', () => {
  let api: FakeApiServer;
  let client: ApiClient;

  beforeEach(async () => {
    api = await FakeApiServer.start({ token: TOKEN });
    client = new ApiClient({ baseUrl: new URL(api.url), auth: new BearerAuth(TOKEN) });
  });
  afterEach(async () => {
    await api.close();
  });

  describe('putConfig', () => {
    it('PUTs the config as JSON to the unescaped repository path with the bearer token', async () => {
      const stored = await client.putConfig('team/hello', { requiredPlatforms: ['linux/amd64', 'linux/arm64'] });
      expect(stored.targetTags).toEqual(['{version}']);
      const [request] = api.requests;
      expect(request?.method).toBe('PUT');
      expect(request?.url).toBe('/v1/repositories/team/hello/config');
      expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(request?.body ?? '')).toEqual({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] });
    });

    it('turns a 400 problem into an ApiError carrying its detail', async () => {
      const error = await client.putConfig('hello', { requiredPlatforms: [] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(400);
      expect((error as ApiError).message).toBe('requiredPlatforms must name at least one platform');
      expect((error as ApiError).problem?.title).toBe('Invalid input');
    });
  });

  describe('getConfig and deleteConfig', () => {
    it('reads a config, deletes it with a 204, then gets a 404', async () => {
      await client.putConfig('team/hello', { requiredPlatforms: ['linux/amd64'] });
      expect((await client.getConfig('team/hello')).requiredPlatforms).toEqual(['linux/amd64']);
      await expect(client.deleteConfig('team/hello')).resolves.toBeUndefined();
      await expect(client.getConfig('team/hello')).rejects.toMatchObject({
        name: 'ApiError',
        status: 404,
        message: 'no config for team/hello',
      });
      expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'PUT /v1/repositories/team/hello/config',
        'GET /v1/repositories/team/hello/config',
        'DELETE /v1/repositories/team/hello/config',
        'GET /v1/repositories/team/hello/config',
      ]);
    });
  });

  describe('listVersions', () => {
    it('sends state, limit and cursor as the query', async () => {
      api.versions.set('team/hello', [
        versionStatus('1', 'failed', {}),
        versionStatus('2', 'failed', {}),
        versionStatus('3', 'failed', {}),
      ]);
      const page = await client.listVersions('team/hello', { state: 'failed', limit: 1, cursor: '1' });
      expect(page.versions.map((v) => v.version)).toEqual(['2']);
      expect(page.cursor).toBe('2');
      expect(api.requests[0]?.url).toBe('/v1/repositories/team/hello/versions?state=failed&limit=1&cursor=1');
    });
  });

  describe('publish', () => {
    it('POSTs allowPartial and reads the VersionStatus', async () => {
      api.versions.set('team/hello', [versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' })]);
      const status = await client.publish('team/hello', '2.7', true);
      expect(status.state).toBe('published');
      expect(api.requests[0]?.method).toBe('POST');
      expect(api.requests[0]?.url).toBe('/v1/repositories/team/hello/versions/2.7/publish');
      expect(JSON.parse(api.requests[0]?.body ?? '')).toEqual({ allowPartial: true });
    });

    it('turns a 409 into an ApiError', async () => {
      api.versions.set('team/hello', [versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' })]);
      await expect(client.publish('team/hello', '2.7', false)).rejects.toMatchObject({
        status: 409,
        message: 'team/hello:2.7 still misses linux/arm64',
      });
    });
  });

  describe('when the base URL has a path (an API Gateway stage)', () => {
    it('appends the routes to it', async () => {
      const staged = new ApiClient({ baseUrl: new URL(`${api.url}/prod`), auth: new BearerAuth(TOKEN) });
      await staged.listRepositories().catch(() => undefined);
      expect(api.requests[0]?.url).toBe('/prod/v1/repositories');
    });
  });

  describe('when the token is wrong', () => {
    it('is an ApiError 401 with the problem detail', async () => {
      const wrong = new ApiClient({ baseUrl: new URL(api.url), auth: new BearerAuth('nope') });
      await expect(wrong.listRepositories()).rejects.toMatchObject({ status: 401, message: 'a valid bearer token is required' });
    });
  });

  describe('when the answer is not what the contract says', () => {
    it('names the request and the field', async () => {
      const fetchStub: typeof fetch = async () =>
        new Response(JSON.stringify({ versions: [{ version: '1' }], cursor: null }), { status: 200 });
      const odd = new ApiClient({ baseUrl: new URL(api.url), auth: new BearerAuth(TOKEN), fetch: fetchStub });
      await expect(odd.listVersions('hello')).rejects.toThrow(
        /GET \/v1\/repositories\/hello\/versions answered with a body the CLI does not understand: versions\.0\.repository/,
      );
    });

    it('still reads the detail when a problem member is malformed', async () => {
      // Seen from the real API once: an extension named `status` replaced the numeric member.
      const odd: typeof fetch = async () =>
        new Response(
          JSON.stringify({
            type: 'about:blank',
            title: 'Conflict',
            status: { state: 'waiting' },
            detail: 'hello:1 is missing linux/arm64',
          }),
          {
            status: 409,
            headers: { 'content-type': 'application/problem+json' },
          },
        );
      await expect(
        new ApiClient({ baseUrl: new URL(api.url), auth: new BearerAuth(TOKEN), fetch: odd }).publish('hello', '1', false),
      ).rejects.toMatchObject({
        status: 409,
        message: 'hello:1 is missing linux/arm64',
      });
    });

    it('reads the detail of a publish 409 that carries the VersionStatus under `version`', async () => {
      const body = {
        code: 'incomplete',
        missingPlatforms: ['linux/arm64'],
        version: versionStatus('1', 'waiting', { 'linux/amd64': 'a' }),
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        detail: 'hello:1 is missing linux/arm64; publish with allowPartial to publish what is there',
      };
      const odd: typeof fetch = async () =>
        new Response(JSON.stringify(body), { status: 409, headers: { 'content-type': 'application/problem+json' } });
      await expect(
        new ApiClient({ baseUrl: new URL(api.url), auth: new BearerAuth(TOKEN), fetch: odd }).publish('hello', '1', false),
      ).rejects.toMatchObject({
        status: 409,
        message: 'hello:1 is missing linux/arm64; publish with allowPartial to publish what is there',
        problem: { title: 'Conflict', status: 409 },
      });
    });

    it('reads API Gateway\'s {"message"} errors and plain-text errors', async () => {
      const gateway: typeof fetch = async () =>
        new Response('{"message":"Forbidden"}', { status: 403, headers: { 'content-type': 'application/json' } });
      await expect(
        new ApiClient({ baseUrl: new URL(api.url), auth: new BearerAuth(TOKEN), fetch: gateway }).listRepositories(),
      ).rejects.toMatchObject({ status: 403, message: 'Forbidden' });
      const plain: typeof fetch = async () => new Response('upstream down', { status: 502, statusText: 'Bad Gateway' });
      await expect(
        new ApiClient({ baseUrl: new URL(api.url), auth: new BearerAuth(TOKEN), fetch: plain }).listRepositories(),
      ).rejects.toMatchObject({ status: 502, message: 'HTTP 502 Bad Gateway: upstream down' });
    });
  });

  describe('when nothing listens', () => {
    it('is a CliError naming the API and the reason', async () => {
      const closed = await FakeApiServer.start();
      const url = closed.url;
      await closed.close();
      const error = await new ApiClient({ baseUrl: new URL(url), auth: new BearerAuth(TOKEN) }).listRepositories().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect((error as Error).message).toBe(`cannot reach the API at ${url} (GET /v1/repositories): ECONNREFUSED`);
    });
  });
});

describe('repositoryPath', () => {
  it('keeps the slashes of a repository name', () => {
    expect(repositoryPath('team/sub/hello')).toBe('v1/repositories/team/sub/hello');
  });
  it('encodes within a segment only what must be encoded', () => {
    expect(repositoryPath('a b/c%d')).toBe('v1/repositories/a%20b/c%25d');
  });
});
