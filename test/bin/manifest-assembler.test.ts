import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigV4Auth } from '../../src/cli/sigv4-auth.ts';
import { FakeApiServer, versionStatus } from '../cli/support/fake-api-server.ts';

const BIN = fileURLToPath(new URL('../../bin/manifest-assembler.mjs', import.meta.url));
const ACCESS_KEY_ID = 'AKIDEXAMPLE';
const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'session-token-for-the-test';

/** Runs the real launcher in a child process, with only the environment given (no profile, no IMDS). */
function runBin(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: '/nonexistent',
          AWS_CONFIG_FILE: '/nonexistent/config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
          AWS_EC2_METADATA_DISABLED: 'true',
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

// Each run starts node in a child process; the first may also build the CLI's bundle (bin/cli-bundle.mjs).
describe('bin/manifest-assembler.mjs', { timeout: 60_000 }, () => {
  let api: FakeApiServer;

  beforeAll(async () => {
    api = await FakeApiServer.start();
    api.versions.set('team/hello', [versionStatus('2.7', 'waiting', { 'linux/amd64': 'a' })]);
  });
  afterAll(async () => {
    await api.close();
  });

  describe('with --sigv4 and credentials in the environment', () => {
    it('sends a request signed for the host it reached, and exits 0', async () => {
      const result = await runBin(['status', 'team/hello:2.7', '--sigv4', '--api', api.url], {
        AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
        AWS_SESSION_TOKEN: SESSION_TOKEN,
        AWS_REGION: 'eu-west-1',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^team\/hello:2\.7\n/);
      const request = api.requests.at(-1);
      const authorization = String(request?.headers.authorization);
      const amzDate = String(request?.headers['x-amz-date']);
      expect(authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*\bhost\b[^,]*, Signature=[0-9a-f]{64}$/,
      );
      expect(authorization).toContain('x-amz-date');
      expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
      expect(request?.headers['x-amz-security-token']).toBe(SESSION_TOKEN);

      // Re-sign what the server received, at the time the CLI signed it: the signatures must agree,
      // which they only do if the host, path and headers the CLI signed are the ones that arrived.
      const at = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      );
      const expected = await new SigV4Auth({
        region: 'eu-west-1',
        credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN },
        now: () => at,
      }).authorize({
        method: request?.method ?? '',
        url: new URL(request?.url ?? '', `http://${String(request?.headers.host)}`),
        headers: { accept: String(request?.headers.accept) },
      });
      expect(authorization).toBe(expected.authorization);
      expect(result.stdout + result.stderr).not.toContain(SECRET_ACCESS_KEY);
    });
  });

  describe('when told to run from source (MANIFEST_ASSEMBLER_FROM_SOURCE=1)', () => {
    it('runs the CLI through tsx with the same result', async () => {
      const result = await runBin(['status', 'team/hello:2.7', '--api', api.url, '--token', 't'], { MANIFEST_ASSEMBLER_FROM_SOURCE: '1' });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^team\/hello:2\.7\nstate {6}waiting\n/);
    });
  });

  describe('warnings', () => {
    it("hides the AWS SDK's NodeVersionSupportWarning and prints every other warning", async () => {
      // The bin, imported as a module, replaces the warning listener; warnings emitted after it are filtered.
      const code = `process.argv = [process.execPath, 'manifest-assembler', '--help'];
        await import(${JSON.stringify(BIN)});
        // As @aws-sdk/core emits it: a plain Warning whose message starts with the name.
        process.emitWarning('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\\nversions published after the first week of January 2027\\nwill require node >=22.');
        process.emitWarning('the same, named', 'NodeVersionSupportWarning');
        process.emitWarning('something else', 'CustomWarning');`;
      const result = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--input-type=module', '-e', code],
          { env: { PATH: process.env.PATH ?? '' } },
          (_error, stdout, stderr) => resolve({ stdout, stderr }),
        );
      });
      expect(result.stdout).toMatch(/^Usage: manifest-assembler/);
      expect(result.stderr).toBe('CustomWarning: something else\n');
    });
  });

  describe('reconcile', () => {
    it('runs through the bin against the API', async () => {
      const result = await runBin(['reconcile', 'team/hello', '--api', api.url, '--token', 't'], {});
      expect(result).toEqual({ code: 0, stdout: 'team/hello: 0 tags scanned, 0 versions checked; nothing to repair\n', stderr: '' });
    });
  });

  describe('exit statuses', () => {
    it('propagates 1 for a failed request and 2 for bad usage', async () => {
      const missing = await runBin(['status', 'team/hello:9.9', '--api', api.url, '--token', 't'], {});
      expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'manifest-assembler: no version 9.9 of team/hello\n' });
      const usage = await runBin(['status'], {});
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/^manifest-assembler: missing argument/);
    });
  });

  describe('what it imports', () => {
    // The bin is what ships: scripts/ is the project's tooling and may be left out of a package.
    it('imports only node: modules, packages and its own folder, never scripts/', () => {
      const binDir = dirname(BIN);
      const specifiers = readdirSync(binDir)
        .filter((name) => name.endsWith('.mjs'))
        .flatMap((name) =>
          [...readFileSync(join(binDir, name), 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)(['"])([^'"]+)\1/g)].map(
            (match) => `${name}: ${match[2]}`,
          ),
        );
      expect(specifiers).toContain('manifest-assembler.mjs: ./cli-bundle.mjs');
      const outside = specifiers.filter((entry) => {
        const specifier = entry.split(': ')[1] ?? '';
        return specifier.startsWith('.') && !specifier.startsWith('./');
      });
      expect(outside).toEqual([]);
    });
  });

  describe('scripts/build-cli.mjs', () => {
    it('builds (or finds) the bundle ahead of a first run and prints its folder', async () => {
      const root = fileURLToPath(new URL('../..', import.meta.url));
      const result = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(root, 'scripts', 'build-cli.mjs')],
          { cwd: root, env: { PATH: process.env.PATH ?? '' } },
          (_error, stdout, stderr) => resolve({ stdout, stderr }),
        );
      });
      expect(result.stderr).toBe('');
      const match = /^(\.cache\/cli\/[0-9a-f]{16}) \((built|already up to date)\)\n$/.exec(result.stdout);
      expect(match, result.stdout).not.toBeNull();
      expect(existsSync(join(root, match?.[1] ?? '', 'main.mjs'))).toBe(true);
    });
  });
});
