import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/args.ts';
import { UsageError } from '../../../src/cli/cli-error.ts';
import { DEFAULT_WAIT_TIMEOUT_MS, WaitTiming } from '../../../src/cli/commands/wait-command.ts';
import { type CliDeps, main } from '../../../src/cli/main.ts';
import { Usages } from '../../../src/cli/usage.ts';
import { FakeApiServer, versionStatus } from '../support/fake-api-server.ts';

const TOKEN = 'wait-token';
const INDEX_DIGEST = `sha256:${'e'.repeat(64)}`;
const PUBLISHED = {
  digest: INDEX_DIGEST,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  tags: ['2.7'],
  at: '2026-11-27T10:00:05.000Z',
  partial: false,
};

/**
 * A clock that never waits: `sleep` moves virtual time on and then runs the test's step for that
 * poll, which changes what the fake API will answer next.
 */
function virtualClock(steps: Array<() => void> = []) {
  const clock = {
    nowMs: 0,
    sleeps: [] as number[],
    now: () => clock.nowMs,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.nowMs += ms;
      steps.shift()?.();
    },
  };
  return clock;
}

describe('wait', () => {
  describe('parsing', () => {
    it('reads the version, a default timeout of 10m and --json', () => {
      expect(parseCommandLine(['wait', 'team/hello:2.7'])).toEqual({
        kind: 'run',
        command: { name: 'wait', repository: 'team/hello', version: '2.7', timeoutMs: DEFAULT_WAIT_TIMEOUT_MS, json: false },
        global: { sigv4: false },
      });
      expect(DEFAULT_WAIT_TIMEOUT_MS).toBe(600_000);
      expect(parseCommandLine(['wait', 'hello:1', '--timeout', '90s', '--json', '--api', 'http://127.0.0.1:9'])).toEqual({
        kind: 'run',
        command: { name: 'wait', repository: 'hello', version: '1', timeoutMs: 90_000, json: true },
        global: { api: 'http://127.0.0.1:9', sigv4: false },
      });
    });

    it.each([
      ['1h', 3_600_000],
      ['2m', 120_000],
      ['45', 45_000],
    ])('reads --timeout %s', (text, ms) => {
      const parsed = parseCommandLine(['wait', 'hello:1', '--timeout', text]);
      expect(parsed.kind === 'run' && parsed.command.name === 'wait' ? parsed.command.timeoutMs : undefined).toBe(ms);
    });

    it.each([
      ['no version', ['wait', 'hello'], /wait needs <repository>:<version>/],
      ['no argument', ['wait'], /missing argument/],
      ['a zero timeout', ['wait', 'hello:1', '--timeout', '0s'], /--timeout "0s" must be a duration from 1s to 24h/],
      ['a timeout over a day', ['wait', 'hello:1', '--timeout', '25h'], /--timeout "25h"/],
      ['a timeout in days', ['wait', 'hello:1', '--timeout', '1d'], /--timeout "1d"/],
      ['an unknown option', ['wait', 'hello:1', '--allow-partial'], /Unknown option '--allow-partial'/],
      ['two versions', ['wait', 'hello:1', 'hello:2'], /unexpected argument "hello:2"/],
    ])('refuses %s with the usage of wait', (_name, argv, message) => {
      let thrown: unknown;
      try {
        parseCommandLine(argv);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).message).toMatch(message);
      expect((thrown as UsageError).usage).toBe(Usages.wait);
    });

    it('has a help text that states the exit statuses, listed in the main usage', () => {
      expect(parseCommandLine(['wait', '--help'])).toEqual({ kind: 'help', text: Usages.wait });
      expect(parseCommandLine(['help', 'wait'])).toEqual({ kind: 'help', text: Usages.wait });
      expect(Usages.wait).toMatch(/3 timed out/);
      expect(Usages.main).toMatch(/wait <repository>:<version>/);
    });
  });

  describe('running against the API', () => {
    let api: FakeApiServer;

    beforeEach(async () => {
      api = await FakeApiServer.start({ token: TOKEN });
    });
    afterEach(async () => {
      await api.close();
    });

    async function run(argv: string[], clock: ReturnType<typeof virtualClock>, overrides: Partial<CliDeps> = {}) {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, {
        env: { MANIFEST_ASSEMBLER_API: api.url },
        cwd: '/nonexistent',
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        credentials: () => async () => {
          throw new Error('no credentials in this test');
        },
        clock,
        ...overrides,
      });
      return { code, stdout, stderr };
    }

    const setVersion = (status: Record<string, unknown>) => api.versions.set('team/hello', [status]);
    const versionRequests = () => api.requests.filter((r) => r.url === '/v1/repositories/team/hello/versions/2.7');

    it('waits through "not recorded yet" and waiting, then exits 0 with the digest once published', async () => {
      const clock = virtualClock([
        () => setVersion(versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' })),
        () => undefined,
        () => setVersion(versionStatus('2.7', 'published', { 'linux/amd64': 'a', 'linux/arm64': 'b' }, { published: PUBLISHED })),
      ]);
      const result = await run(['wait', 'team/hello:2.7', '--token', TOKEN], clock);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${INDEX_DIGEST}\n`);
      expect(result.stderr.split('\n')).toEqual([
        'team/hello:2.7: no per-arch push recorded yet',
        'team/hello:2.7: waiting for linux/arm64 (have linux/amd64)',
        `team/hello:2.7 is published as 2.7 (${INDEX_DIGEST}).`,
        '',
      ]);
      expect(versionRequests()).toHaveLength(4);
      expect(versionRequests().every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
      // Backoff from 1 s, doubling.
      expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
    });

    it('caps the interval at 5 s and prints each state once', async () => {
      setVersion(versionStatus('2.7', 'publishing', { 'linux/amd64': 'a', 'linux/arm64': 'b' }));
      const clock = virtualClock([
        ...Array(6).fill(() => undefined),
        () => setVersion(versionStatus('2.7', 'published', { 'linux/amd64': 'a', 'linux/arm64': 'b' }, { published: PUBLISHED })),
      ]);
      const result = await run(['wait', 'team/hello:2.7', '--token', TOKEN], clock);
      expect(result.code).toBe(0);
      expect(clock.sleeps).toEqual([1_000, 2_000, 4_000, WaitTiming.maxPollMs, 5_000, 5_000, 5_000]);
      expect(result.stderr.match(/publishing/g)).toHaveLength(1);
    });

    it('prints the VersionStatus with --json', async () => {
      const status = versionStatus('2.7', 'published', { 'linux/amd64': 'a', 'linux/arm64': 'b' }, { published: PUBLISHED });
      setVersion(status);
      const result = await run(['wait', 'team/hello:2.7', '--json', '--token', TOKEN], virtualClock());
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(status);
    });

    it('keeps waiting after a partial publish, until every platform is in', async () => {
      setVersion(
        versionStatus(
          '2.7',
          'waiting',
          { 'linux/amd64': 'a' },
          { published: { ...PUBLISHED, digest: `sha256:${'c'.repeat(64)}`, partial: true } },
        ),
      );
      const clock = virtualClock([
        () => setVersion(versionStatus('2.7', 'published', { 'linux/amd64': 'a', 'linux/arm64': 'b' }, { published: PUBLISHED })),
      ]);
      const result = await run(['wait', 'team/hello:2.7', '--token', TOKEN], clock);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${INDEX_DIGEST}\n`);
      expect(versionRequests()).toHaveLength(2);
    });

    it('keeps waiting while a version is published but partial (required platforms changed since)', async () => {
      setVersion(
        versionStatus('2.7', 'published', { 'linux/amd64': 'a' }, { published: { ...PUBLISHED, partial: true } }, ['linux/amd64']),
      );
      const result = await run(['wait', 'team/hello:2.7', '--timeout', '3s', '--token', TOKEN], virtualClock());
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('published partially');
    });

    it.each([
      [
        'conflict',
        { error: '2.7-arm64 and 2.7-arm64v8 both claim platform linux/arm64' },
        'team/hello:2.7 is in conflict: 2.7-arm64 and 2.7-arm64v8 both claim platform linux/arm64',
      ],
      ['failed', { error: 'registry unavailable' }, 'team/hello:2.7 failed to publish: registry unavailable'],
      ['stale', {}, "team/hello:2.7 is stale: still missing linux/arm64 after the repository's staleAfter"],
    ])('exits 1 with the reason when the version is %s', async (state, extra, reason) => {
      const images: Record<string, string> = state === 'stale' ? { 'linux/amd64': 'a' } : { 'linux/amd64': 'a', 'linux/arm64': 'b' };
      const status = versionStatus('2.7', state, images, extra);
      setVersion(status);
      const result = await run(['wait', 'team/hello:2.7', '--token', TOKEN], virtualClock());
      expect(result).toEqual({ code: 1, stdout: '', stderr: `manifest-assembler: ${reason}\n` });
      const json = await run(['wait', 'team/hello:2.7', '--json', '--token', TOKEN], virtualClock());
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual(status);
    });

    it('exits 1 when a stale version was published partially, naming the partial index', async () => {
      setVersion(versionStatus('2.7', 'stale', { 'linux/amd64': 'a' }, { published: { ...PUBLISHED, partial: true } }));
      const result = await run(['wait', 'team/hello:2.7', '--token', TOKEN], virtualClock());
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`(published partially as ${INDEX_DIGEST})`);
    });

    it('exits 3 with its own message when the timeout passes, having polled until the deadline', async () => {
      setVersion(versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' }));
      const clock = virtualClock();
      const result = await run(['wait', 'team/hello:2.7', '--timeout', '20s', '--token', TOKEN], clock);
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /manifest-assembler: gave up waiting for team\/hello:2.7 after 20s: waiting for linux\/arm64 \(have linux\/amd64\)\n$/,
      );
      // 1 + 2 + 4 + 5 + 5 = 17 s, then the 3 s left, then one last look at the deadline.
      expect(clock.sleeps).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 3_000]);
      expect(clock.nowMs).toBe(20_000);
      expect(versionRequests()).toHaveLength(7);
    });

    it('exits 3 when nothing was ever recorded, saying so', async () => {
      const result = await run(['wait', 'team/hello:2.7', '--timeout', '2s', '--token', TOKEN], virtualClock());
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('gave up waiting for team/hello:2.7 after 2s: no per-arch push recorded yet');
    });

    it('asks again after a 503 or an unreachable API, and exits 1 at once when the token is refused', async () => {
      setVersion(versionStatus('2.7', 'published', { 'linux/amd64': 'a', 'linux/arm64': 'b' }, { published: PUBLISHED }));
      let calls = 0;
      const flaky: typeof fetch = async (input, init) => {
        calls++;
        if (calls === 1)
          return new Response(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'table busy' }), {
            status: 503,
            headers: { 'content-type': 'application/problem+json' },
          });
        if (calls === 2) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
        return fetch(input, init);
      };
      const result = await run(['wait', 'team/hello:2.7', '--token', TOKEN], virtualClock(), { fetch: flaky });
      expect(result.code).toBe(0);
      expect(calls).toBe(3);
      expect(result.stderr).toContain('the API did not answer (table busy); asking again');
      expect(result.stderr).toContain('ECONNREFUSED');

      const refused = await run(['wait', 'team/hello:2.7', '--token', 'wrong'], virtualClock());
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('a valid bearer token is required');
    });

    it('signs every poll with SigV4 for an API behind IAM, as on AWS', async () => {
      await api.close();
      api = await FakeApiServer.start();
      setVersion(versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' }));
      const clock = virtualClock([
        () => setVersion(versionStatus('2.7', 'published', { 'linux/amd64': 'a', 'linux/arm64': 'b' }, { published: PUBLISHED })),
      ]);
      const result = await run(['wait', 'team/hello:2.7', '--sigv4', '--region', 'eu-west-1'], clock, {
        credentials: () => async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }),
      });
      expect(result.code).toBe(0);
      expect(versionRequests()).toHaveLength(2);
      for (const request of versionRequests()) {
        expect(request.headers.authorization).toMatch(
          /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
        );
      }
    });

    it('exits 2 for bad usage without sending anything', async () => {
      const result = await run(['wait', 'team/hello', '--token', TOKEN], virtualClock());
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(Usages.wait);
      expect(api.requests).toHaveLength(0);
    });
  });
});
