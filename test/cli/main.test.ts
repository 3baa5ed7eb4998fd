import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliDeps, main } from '../../src/cli/main.ts';
import { Usages } from '../../src/cli/usage.ts';
import { FakeApiServer, reconcileReport, versionStatus } from './support/fake-api-server.ts';

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
      const result = await run([
        'config',
        'set',
        'team/hello',
        '--require',
        'linux/amd64,linux/arm64',
        '--target-tag',
        '{version}',
        '--platform-override',
        'arm64=linux/arm64/v8',
      ]);
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
      expect(JSON.parse(rest.join('\n'))).toMatchObject({
        requiredPlatforms: ['linux/amd64', 'linux/arm64'],
        optionalPlatforms: [],
        indexMediaType: 'auto',
      });
      expect(result.stderr).toBe('');
    });

    it('sends each --annotation as an entry of annotations, and config get prints them back', async () => {
      const set = await run([
        'config',
        'set',
        'hello',
        '--require',
        'linux/amd64',
        '--annotation',
        'org.opencontainers.image.source=https://github.com/org/repo',
        '--annotation',
        'constructor=x',
      ]);
      expect(set.code).toBe(0);
      expect(JSON.parse(api.requests[0]?.body ?? '').annotations).toStrictEqual({
        'org.opencontainers.image.source': 'https://github.com/org/repo',
        constructor: 'x',
      });
      const got = await run(['config', 'get', 'hello']);
      expect(JSON.parse(got.stdout).annotations).toStrictEqual({
        'org.opencontainers.image.source': 'https://github.com/org/repo',
        constructor: 'x',
      });
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
      api.configs.set('team/hello', {
        requiredPlatforms: ['linux/amd64'],
        optionalPlatforms: [],
        tagPattern: 'x(?<version>.+)',
        targetTags: ['{version}'],
        indexMediaType: 'auto',
        platformOverrides: {},
      });
      const got = await run(['config', 'get', 'team/hello']);
      expect(got.code).toBe(0);
      expect(JSON.parse(got.stdout)).toMatchObject({ requiredPlatforms: ['linux/amd64'], tagPattern: 'x(?<version>.+)' });
      const deleted = await run(['config', 'delete', 'team/hello']);
      expect(deleted).toEqual({
        code: 0,
        stdout: 'Deleted the config of team/hello; pushes to it are ignored from now on (its version records stay).\n',
        stderr: '',
      });
      expect(api.requests[1]?.method).toBe('DELETE');
      const missing = await run(['config', 'get', 'team/hello']);
      expect(missing).toEqual({ code: 1, stdout: '', stderr: 'manifest-assembler: no config for team/hello\n' });
    });
  });

  describe('configs with prototype-named override keys', () => {
    it('lists and prints a config whose overrides are keyed constructor and toString', async () => {
      const platformOverrides = { constructor: 'linux/arm64', toString: 'linux/amd64' };
      api.configs.set('team/hello', {
        requiredPlatforms: ['linux/amd64'],
        optionalPlatforms: [],
        tagPattern: 'x(?<version>.+)',
        targetTags: ['{version}'],
        indexMediaType: 'auto',
        platformOverrides,
      });
      const got = await run(['config', 'get', 'team/hello']);
      expect(got.code, got.stderr).toBe(0);
      expect(JSON.parse(got.stdout)).toMatchObject({ platformOverrides });
      const repos = await run(['repos', '--json']);
      expect(repos.code, repos.stderr).toBe(0);
      expect(repos.stdout).toContain('"constructor": "linux/arm64"');
    });
  });

  describe('repos', () => {
    it('prints a table of the configured repositories', async () => {
      api.configs.set('team/hello', {
        requiredPlatforms: ['linux/amd64', 'linux/arm64'],
        optionalPlatforms: [],
        tagPattern: 'p(?<version>.+)',
        targetTags: ['{version}'],
        indexMediaType: 'auto',
        platformOverrides: {},
      });
      const result = await run(['repos']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        ['REPOSITORY  REQUIRED                 OPTIONAL  TARGET TAGS', 'team/hello  linux/amd64,linux/arm64  -         {version}', ''].join(
          '\n',
        ),
      );
      expect(api.requests[0]?.url).toBe('/v1/repositories');
    });

    it('says how to add one when there are none', async () => {
      expect((await run(['repos'])).stdout).toMatch(/^No repository is configured yet/);
    });
  });

  describe('status of a repository', () => {
    it('pages through every version with the cursor and prints one table', async () => {
      api.configs.set('team/hello', {
        requiredPlatforms: ['linux/amd64', 'linux/arm64'],
        optionalPlatforms: [],
        tagPattern: 'p(?<version>.+)',
        targetTags: ['{version}'],
        indexMediaType: 'auto',
        platformOverrides: {},
      });
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
      api.versions.set('team/hello', [
        versionStatus('1', 'failed', {}),
        versionStatus('2', 'failed', {}),
        versionStatus('3', 'failed', {}),
      ]);
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

    it('prints the history after the block with --history, and inside the JSON with --json', async () => {
      api.versions.set('team/hello', [versionStatus('2.7', 'published', { 'linux/amd64': 'a', 'linux/arm64': 'b' })]);
      const entries = [
        {
          id: 'h-1',
          sequence: 1,
          kind: 'push-recorded',
          at: '2026-11-27T10:00:00.000Z',
          platform: 'linux/amd64',
          tag: '2.7-amd64',
          digest: `sha256:${'a'.repeat(64)}`,
          eventId: 'e-1',
        },
        {
          id: 'h-2',
          sequence: 2,
          kind: 'published',
          at: '2026-11-27T10:00:05.000Z',
          digest: `sha256:${'e'.repeat(64)}`,
          tags: ['2.7'],
          revision: 2,
        },
        {
          id: 'h-3',
          sequence: 3,
          kind: 'conflict',
          at: '2026-11-27T10:01:00.000Z',
          reason: 'tag 2.7 was moved by someone else',
          revision: 2,
        },
      ];
      api.histories.set('team/hello:2.7', { repository: 'team/hello', version: '2.7', sequence: 3, entries });
      const text = await run(['status', 'team/hello:2.7', '--history']);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(
        [
          'History:',
          `  2026-11-27T10:00:00.000Z  push-recorded  linux/amd64 2.7-amd64 sha256:aaaaaaaaaaaa event e-1`,
          `  2026-11-27T10:00:05.000Z  published      sha256:eeeeeeeeeeee tags 2.7 revision 2`,
          `  2026-11-27T10:01:00.000Z  conflict       revision 2: tag 2.7 was moved by someone else`,
        ].join('\n'),
      );
      expect(api.requests.map((r) => r.url)).toContain('/v1/repositories/team/hello/versions/2.7/history');
      const json = await run(['status', 'team/hello:2.7', '--history', '--json']);
      expect(JSON.parse(json.stdout).history).toEqual(entries);
    });

    it('refuses --history without a version (exit 2)', async () => {
      const result = await run(['status', 'team/hello', '--history']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--history applies to one version');
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

  describe('reconcile of one repository', () => {
    const INDEX = `sha256:${'e'.repeat(64)}`;
    const OTHER = `sha256:${'b'.repeat(64)}`;

    beforeEach(() => {
      api.reconcileRuns.set('team/hello', [
        reconcileReport('team/hello', { tagsScanned: 500, pushesRecovered: ['2.7-arm64'] }),
        reconcileReport('team/hello', { tagsScanned: 20 }),
        reconcileReport('team/hello', {
          versionsChecked: 9,
          published: ['2.7'],
          drift: [{ version: '2.5', tag: '2.5', expected: INDEX, actual: OTHER, action: 'reported' }],
          failures: [{ what: 'team/hello:2.4', error: 'PutImage throttled' }],
        }),
      ]);
    });

    it('follows the cursor until it is null, prints each report and the totals, and exits 0 although a report lists a failure', async () => {
      const result = await run(['reconcile', 'team/hello']);
      expect(api.requests.map((r) => [r.method, r.url, JSON.parse(r.body)])).toEqual([
        ['POST', '/v1/repositories/team/hello/reconcile', {}],
        ['POST', '/v1/repositories/team/hello/reconcile', { cursor: '1' }],
        ['POST', '/v1/repositories/team/hello/reconcile', { cursor: '2' }],
      ]);
      expect(result).toEqual({
        code: 0,
        stderr: '',
        stdout: [
          'team/hello: 500 tags scanned, 0 versions checked',
          '  recovered pushes  2.7-arm64',
          'team/hello: 20 tags scanned, 0 versions checked; nothing to repair',
          'team/hello: 0 tags scanned, 9 versions checked',
          '  published  2.7',
          `  drift      2.5  tag 2.5  reported  expected ${INDEX}  actual ${OTHER}`,
          '  failures   team/hello:2.4: PutImage throttled',
          '',
          'Total: 3 runs, 520 tags scanned, 9 versions checked, 1 push recovered, 1 published, 1 drift, 1 failure',
          'The failures listed above are tried again by the next reconcile.',
          '',
        ].join('\n'),
      });
    });

    it('prints every report as JSON with --json', async () => {
      const result = await run(['reconcile', 'team/hello', '--json']);
      expect(result.code).toBe(0);
      const printed = JSON.parse(result.stdout) as { reports: { tagsScanned: number; cursor: string | null }[] };
      expect(printed.reports.map((r) => [r.tagsScanned, r.cursor])).toEqual([
        [500, '1'],
        [20, '2'],
        [0, null],
      ]);
    });

    it('exits 1 with what was done so far printed when a later request fails', async () => {
      const failing: typeof fetch = async (input, init) => {
        if (typeof init?.body === 'string' && init.body.includes('"2"')) {
          return new Response(
            JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the registry is not answering' }),
            {
              status: 503,
              headers: { 'content-type': 'application/problem+json' },
            },
          );
        }
        return fetch(input, init);
      };
      const result = await run(['reconcile', 'team/hello'], { fetch: failing });
      expect(result.code).toBe(1);
      expect(result.stdout.split('\n')[0]).toBe('team/hello: 500 tags scanned, 0 versions checked');
      expect(result.stderr).toBe('manifest-assembler: the registry is not answering\n');
    });

    it('stops with exit 1 when the API returns a cursor it returned before', async () => {
      const looping: typeof fetch = async () =>
        new Response(JSON.stringify(reconcileReport('team/hello', { cursor: 'same' })), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      const result = await run(['reconcile', 'team/hello'], { fetch: looping });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('manifest-assembler: the API returned the cursor "same" twice while reconciling team/hello\n');
    });
  });

  describe('reconcile of every repository', () => {
    it('asks for one pass and prints its reports', async () => {
      api.reconcileAllReports = [reconcileReport('a/one', { versionsChecked: 2 }), reconcileReport('b/two', { stale: ['1.0'] })];
      const result = await run(['reconcile']);
      expect(api.requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual(['POST /v1/reconcile {}']);
      expect(result).toEqual({
        code: 0,
        stderr: '',
        stdout: [
          'a/one: 0 tags scanned, 2 versions checked; nothing to repair',
          'b/two: 0 tags scanned, 0 versions checked',
          '  stale  1.0',
          '',
          'Total: 2 runs, 0 tags scanned, 2 versions checked, 1 stale',
          '',
        ].join('\n'),
      });
    });

    it('says when the pass ran out of time', async () => {
      api.reconcileAllReports = [reconcileReport('a/one', { tagsScanned: 500, cursor: 'abc' })];
      const result = await run(['reconcile']);
      expect(result.stdout).toBe(
        [
          'a/one: 500 tags scanned, 0 versions checked; nothing to repair',
          'The pass ran out of time in a/one; run reconcile again to go on from there.',
          '',
        ].join('\n'),
      );
    });

    it('says when there is no repository, and prints {"reports": []} with --json', async () => {
      expect(await run(['reconcile'])).toEqual({ code: 0, stdout: 'No repository was reconciled: none is configured.\n', stderr: '' });
      expect(JSON.parse((await run(['reconcile', '--json'])).stdout)).toEqual({ reports: [] });
    });
  });

  describe('backfill', () => {
    const CONFIG = {
      requiredPlatforms: ['linux/amd64', 'linux/arm64'],
      optionalPlatforms: [],
      tagPattern: 'p(?<version>.+)',
      targetTags: ['{version}'],
      indexMediaType: 'auto',
      platformOverrides: {},
    };

    beforeEach(() => {
      api.configs.set('team/hello', CONFIG);
      api.backfillPlans.set('team/hello', {
        repository: 'team/hello',
        tagsScanned: 3,
        versions: [
          {
            version: '1.0',
            platforms: ['linux/amd64', 'linux/arm64'],
            missingPlatforms: [],
            tags: ['1.0-amd64', '1.0-arm64'],
            action: 'publish',
          },
          { version: '1.1', platforms: ['linux/amd64'], missingPlatforms: ['linux/arm64'], tags: ['1.1-amd64'], action: 'wait' },
        ],
        problems: [],
      });
      api.reconcileRuns.set('team/hello', [
        reconcileReport('team/hello', { tagsScanned: 500, pushesRecovered: ['1.0-amd64', '1.0-arm64'] }),
        reconcileReport('team/hello', { tagsScanned: 1, pushesRecovered: ['1.1-amd64'] }),
        reconcileReport('team/hello', { versionsChecked: 2, published: ['1.0'] }),
      ]);
    });

    it('--dry-run asks for the plan and prints it as a table', async () => {
      const result = await run(['backfill', 'team/hello', '--dry-run']);
      expect(api.requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
        'POST /v1/repositories/team/hello/backfill {"dryRun":true}',
      ]);
      expect(result).toEqual({
        code: 0,
        stderr: '',
        stdout: [
          'team/hello: 3 tags scanned, 2 versions found',
          '',
          'VERSION  PLATFORMS                MISSING      ACTION',
          '1.0      linux/amd64,linux/arm64  -            publish',
          '1.1      linux/amd64              linux/arm64  wait',
          '',
          'A backfill would publish 1 version; 1 would wait for missing platforms.',
          "Run 'manifest-assembler backfill team/hello' without --dry-run to do it.",
          '',
        ].join('\n'),
      });
    });

    it('--dry-run --json prints the plan as the API sent it', async () => {
      const result = await run(['backfill', 'team/hello', '--dry-run', '--json']);
      expect(JSON.parse(result.stdout)).toEqual(api.backfillPlans.get('team/hello'));
    });

    it('follows the cursor across requests, prints each run and the totals', async () => {
      const result = await run(['backfill', 'team/hello']);
      expect(api.requests.map((r) => JSON.parse(r.body))).toEqual([{}, { cursor: '2' }]);
      expect(result).toEqual({
        code: 0,
        stderr: '',
        stdout: [
          'team/hello: 500 tags scanned, 0 versions checked',
          '  recovered pushes  1.0-amd64, 1.0-arm64',
          'team/hello: 1 tag scanned, 0 versions checked',
          '  recovered pushes  1.1-amd64',
          'team/hello: 0 tags scanned, 2 versions checked',
          '  published  1.0',
          '',
          'Backfilled team/hello: 3 runs, 501 tags scanned, 2 versions checked, 3 pushes recovered, 1 published',
          '',
        ].join('\n'),
      });
    });

    it('prints every report as JSON with --json', async () => {
      const result = await run(['backfill', 'team/hello', '--json']);
      const printed = JSON.parse(result.stdout) as { reports: { published: string[] }[]; cursor: null };
      expect(printed.reports.map((r) => r.published)).toEqual([[], [], ['1.0']]);
      expect(printed.cursor).toBeNull();
    });

    it('exits 1 with the detail when the repository has no config', async () => {
      api.configs.clear();
      expect(await run(['backfill', 'team/hello', '--dry-run'])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'manifest-assembler: repository team/hello has no configuration\n',
      });
    });
  });

  describe('usage errors', () => {
    it('exits 2, prints the message and the usage, and sends nothing', async () => {
      const result = await run(['publish', 'team/hello']);
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `manifest-assembler: publish needs <repository>:<version>, got "team/hello"\n\n${Usages.publish}\n`,
      });
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
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'manifest-assembler: a valid bearer token is required\n(the API refused the token given with --token)\n',
      });
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
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'manifest-assembler: cannot sign the request with SigV4: no credentials in this test\n',
      });
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
      const result = await run(['start'], {
        startLocalStack: async () => {
          calls += 1;
          return 3;
        },
      });
      expect(calls).toBe(1);
      expect(result.code).toBe(3);
    });

    it("exits 1 with the runner's error when it cannot start", async () => {
      const result = await run(['start'], {
        startLocalStack: async () => {
          throw new Error('port 5000 is taken');
        },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('port 5000 is taken');
    });
  });
});
