import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, type CliDeps } from '../../src/cli/main.ts';
import { Usages } from '../../src/cli/usage.ts';
import { FakeApiServer, versionStatus } from './support/fake-api-server.ts';

const TOKEN = 'token-from-the-data-folder';

describe('main', () => {
  let api: FakeApiServer;
  let cwd: string;

  beforeEach(async () => {
    api = await FakeApiServer.start({ token: TOKEN, pageSize: 2 });
    cwd = await mkdtemp(join(tmpdir(), 'cli-main-'));
    await mkdir(join(cwd, '.local'));
    // Trailing newline on purpose: the token is read trimmed.
    await writeFile(join(cwd, '.local', 'api-token'), `${TOKEN}\n`);
  });
  afterEach(async () => {
    await api.close();
    await rm(cwd, { recursive: true, force: true });
  });

  /** Runs the CLI against the fake API, through MANIFEST_ASSEMBLER_API, and collects what it printed. */
  async function run(argv: string[], overrides: Partial<CliDeps> = {}) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      env: { MANIFEST_ASSEMBLER_API: api.url },
      cwd,
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      credentials: () => async () => {
        throw new Error('no credentials in this test');
      },
      ...overrides,
    });
    return { code, stdout, stderr };
  }

  describe('config set', () => {
    it('PUTs the options as a config with the token from the data folder and prints the stored config (exit 0)', async () => {
      const result = await run(['config', 'set', 'team/hello', '--require', 'linux/amd64,linux/arm64', '--target-tag', '{version}', '--platform-override', 'arm64=linux/arm64/v8']);
      expect(result.code).toBe(0);
      expect(api.requests).toHaveLength(1);
      expect(api.requests[0]?.method).toBe('PUT');
      expect(api.requests[0]?.url).toBe('/v1/repositories/team/hello/config');
      expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(JSON.parse(api.requests[0]?.body ?? '')).toEqual({
        requiredPlatforms: ['linux/amd64', 'linux/arm64'],
        targetTags: ['{version}'],
        platformOverrides: { arm64: 'linux/arm64/v8' },
      });
      const [first, ...rest] = result.stdout.split('\n');
      expect(first).toBe('Saved the config of team/hello:');
      expect(JSON.parse(rest.join('\n'))).toMatchObject({ requiredPlatforms: ['linux/amd64', 'linux/arm64'], optionalPlatforms: [], indexMediaType: 'auto' });
      expect(result.stderr).toBe('');
    });

    it('prints the detail of a 400 problem and exits 1', async () => {
      // An empty --require is a usage error, so the 400 comes from a fetch that rewrites the body: the CLI must print the server's detail.
      const rewrite: typeof fetch = (input, init) => fetch(input, { ...init, body: '{"requiredPlatforms":[]}' });
      const result = await run(['config', 'set', 'hello', '--require', 'linux/amd64'], { fetch: rewrite });
      expect(result).toEqual({ code: 1, stdout: '', stderr: 'manifest-assembler: requiredPlatforms must name at least one platform\n' });
    });
  });

  describe('config get and config delete', () => {
    it('prints the config as JSON, deletes it (204), then reports the 404 detail with exit 1', async () => {
      api.configs.set('team/hello', { requiredPlatforms: ['linux/amd64'], optionalPlatforms: [], tagPattern: 'x(?<version>.+)', targetTags: ['{version}'], indexMediaType: 'auto', platformOverrides: {} });
      const got = await run(['config', 'get', 'team/hello']);
      expect(got.code).toBe(0);
      expect(JSON.parse(got.stdout)).toMatchObject({ requiredPlatforms: ['linux/amd64'], tagPattern: 'x(?<version>.+)' });
      const deleted = await run(['config', 'delete', 'team/hello']);
      expect(deleted).toEqual({ code: 0, stdout: 'Deleted the config of team/hello; pushes to it are ignored from now on (its version records stay).\n', stderr: '' });
      expect(api.requests[1]?.method).toBe('DELETE');
      const missing = await run(['config', 'get', 'team/hello']);
      expect(missing).toEqual({ code: 1, stdout: '', stderr: 'manifest-assembler: no config for team/hello\n' });
    });
  });

  describe('repos', () => {
    it('prints a table of the configured repositories', async () => {
      api.configs.set('team/hello', { requiredPlatforms: ['linux/amd64', 'linux/arm64'], optionalPlatforms: [], tagPattern: 'p(?<version>.+)', targetTags: ['{version}'], indexMediaType: 'auto', platformOverrides: {} });
      const result = await run(['repos']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(['REPOSITORY  REQUIRED                 OPTIONAL  TARGET TAGS', 'team/hello  linux/amd64,linux/arm64  -         {version}', ''].join('\n'));
      expect(api.requests[0]?.url).toBe('/v1/repositories');
    });

    it('says how to add one when there are none', async () => {
      expect((await run(['repos'])).stdout).toMatch(/^No repository is configured yet/);
    });
  });

  describe('status of a repository', () => {
    it('pages through every version with the cursor and prints one table', async () => {
      api.configs.set('team/hello', { requiredPlatforms: ['linux/amd64', 'linux/arm64'], optionalPlatforms: [], tagPattern: 'p(?<version>.+)', targetTags: ['{version}'], indexMediaType: 'auto', platformOverrides: {} });
      api.versions.set('team/hello', [
        versionStatus('1', 'waiting', { 'linux/amd64': 'a' }),
        versionStatus('2', 'waiting', { 'linux/arm64': 'b' }),
        versionStatus('3', 'conflict', { 'linux/arm64': 'c' }, { error: 'two images claim linux/arm64' }),
        versionStatus('4', 'waiting', {}),
        versionStatus('5', 'waiting', {}),
      ]);
      const result = await run(['status', 'team/hello']);
      expect(result.code).toBe(0);
      const versionRequests = api.requests.filter((r) => r.url.includes('/versions')).map((r) => r.url);
      expect(versionRequests).toEqual([
        '/v1/repositories/team/hello/versions',
        '/v1/repositories/team/hello/versions?cursor=2',
        '/v1/repositories/team/hello/versions?cursor=4',
      ]);
      expect(result.stdout).toBe(
        [
          'VERSION  linux/amd64   linux/arm64   STATE       PUBLISHED',
          '1        aaaaaaaaaaaa  -             waiting     -',
          '2        -             bbbbbbbbbbbb  waiting     -',
          '3        -             cccccccccccc  conflict !  -',
          '4        -             -             waiting     -',
          '5        -             -             waiting     -',
          '',
          '! 3 conflict: two images claim linux/arm64',
          '',
        ].join('\n'),
      );
    });

    it('passes --state and stops at --limit', async () => {
      api.versions.set('team/hello', [versionStatus('1', 'failed', {}), versionStatus('2', 'failed', {}), versionStatus('3', 'failed', {})]);
      const result = await run(['status', 'team/hello', '--state', 'failed', '--limit', '1', '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).versions.map((v: { version: string }) => v.version)).toEqual(['1']);
      expect(api.requests.map((r) => r.url)).toEqual(['/v1/repositories/team/hello/versions?state=failed&limit=1']);
    });

    it('says when there are no versions', async () => {
      const result = await run(['status', 'team/hello', '--state', 'conflict']);
      expect(result).toEqual({ code: 0, stdout: 'No versions of team/hello in state conflict yet.\n', stderr: '' });
    });
  });

  describe('status of one version', () => {
    it('prints the block (exit 0), or the 404 detail (exit 1)', async () => {
      api.versions.set('team/hello', [versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' })]);
      const found = await run(['status', 'team/hello:2.7']);
      expect(found.code).toBe(0);
      expect(found.stdout).toMatch(/^team\/hello:2\.7\nstate {6}waiting\n/);
      expect(api.requests[0]?.url).toBe('/v1/repositories/team/hello/versions/2.7');
      const missing = await run(['status', 'team/hello:9.9']);
      expect(missing).toEqual({ code: 1, stdout: '', stderr: 'manifest-assembler: no version 9.9 of team/hello\n' });
    });

    it('prints the VersionStatus with --json', async () => {
      api.versions.set('team/hello', [versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' })]);
      const result = await run(['status', 'team/hello:2.7', '--json']);
      expect(JSON.parse(result.stdout)).toEqual(versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' }));
    });
  });

  describe('publish', () => {
    beforeEach(() => {
      api.versions.set('team/hello', [versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' })]);
    });

    it('prints the 409 detail with a hint and exits 1 when the version is incomplete', async () => {
      const result = await run(['publish', 'team/hello:2.7']);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'manifest-assembler: team/hello:2.7 still misses linux/arm64\n(--allow-partial publishes the platforms that are there)\n',
      });
      expect(JSON.parse(api.requests[0]?.body ?? '')).toEqual({ allowPartial: false });
    });

    it('publishes partially with --allow-partial (exit 0)', async () => {
      const result = await run(['publish', 'team/hello:2.7', '--allow-partial']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Published team\/hello:2\.7 as 2\.7 \(eeeeeeeeeeee\)\.\nteam\/hello:2\.7\nstate {6}published\n/);
      expect(api.requests[0]?.method).toBe('POST');
      expect(api.requests[0]?.url).toBe('/v1/repositories/team/hello/versions/2.7/publish');
      expect(JSON.parse(api.requests[0]?.body ?? '')).toEqual({ allowPartial: true });
    });
  });

  describe('usage errors', () => {
    it('exits 2, prints the message and the usage, and sends nothing', async () => {
      const result = await run(['publish', 'team/hello']);
      expect(result).toEqual({ code: 2, stdout: '', stderr: `manifest-assembler: publish needs <repository>:<version>, got "team/hello"\n\n${Usages.publish}\n` });
      expect(api.requests).toHaveLength(0);
    });

    it('exits 2 for a bad --api', async () => {
      const result = await run(['repos', '--api', 'ftp://127.0.0.1']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/must be an http or https URL/);
    });

    it('exits 0 and prints the usage for --help', async () => {
      expect(await run(['config', 'set', '--help'])).toEqual({ code: 0, stdout: `${Usages.configSet}\n`, stderr: '' });
    });
  });

  describe('authentication', () => {
    it('prefers --token over the file, and adds a hint when the API refuses it', async () => {
      const result = await run(['repos', '--token', 'wrong-token']);
      expect(api.requests[0]?.headers.authorization).toBe('Bearer wrong-token');
      expect(result).toEqual({ code: 1, stdout: '', stderr: 'manifest-assembler: a valid bearer token is required\n(the API refused the token given with --token)\n' });
      expect(result.stderr).not.toContain('wrong-token');
    });

    it('reads the token from DATA_DIR', async () => {
      await mkdir(join(cwd, 'elsewhere'));
      await writeFile(join(cwd, 'elsewhere', 'api-token'), '  other-token  ');
      await run(['repos'], { env: { MANIFEST_ASSEMBLER_API: api.url, DATA_DIR: 'elsewhere' } });
      expect(api.requests[0]?.headers.authorization).toBe('Bearer other-token');
    });

    it('says how to start the local stack when a local API has no token file', async () => {
      await rm(join(cwd, '.local'), { recursive: true });
      const result = await run(['repos']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`no API token: ${join(cwd, '.local', 'api-token')} does not exist`);
      expect(result.stderr).toContain('npx manifest-assembler start');
      expect(api.requests).toHaveLength(0);
    });

    it('never sends the local token to another host', async () => {
      const sent: Headers[] = [];
      const recordingFetch: typeof fetch = async (_input, init) => {
        sent.push(new Headers(init?.headers));
        return new Response('{"repositories":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
      };
      const result = await run(['repos', '--api', 'https://api.example.test'], { fetch: recordingFetch });
      expect(result.code).toBe(0);
      expect(sent).toHaveLength(1);
      expect(sent[0]?.get('authorization')).toBeNull();
    });

    it('uses --api over MANIFEST_ASSEMBLER_API', async () => {
      const other = await FakeApiServer.start();
      try {
        await run(['repos', '--api', other.url]);
        expect(other.requests).toHaveLength(1);
        expect(api.requests).toHaveLength(0);
      } finally {
        await other.close();
      }
    });

    it('reports a signing failure with exit 1 when --sigv4 finds no credentials', async () => {
      const result = await run(['repos', '--sigv4', '--region', 'us-east-1']);
      expect(result).toEqual({ code: 1, stdout: '', stderr: 'manifest-assembler: cannot sign the request with SigV4: no credentials in this test\n' });
    });

    it('exits 2 when --sigv4 has no region', async () => {
      const result = await run(['repos', '--sigv4']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/needs a region/);
    });
  });

  describe('start', () => {
    it('calls the local runner and returns its exit status', async () => {
      let calls = 0;
      const result = await run(['start'], { startLocalStack: async () => { calls += 1; return 3; } });
      expect(calls).toBe(1);
      expect(result.code).toBe(3);
    });

    it('exits 1 with the runner\'s error when it cannot start', async () => {
      const result = await run(['start'], { startLocalStack: async () => { throw new Error('port 5000 is taken'); } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('port 5000 is taken');
    });
  });
});
