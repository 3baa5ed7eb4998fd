import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypes } from '../../src/core/media-types.ts';
import { type LocalStack, startLocalStack } from '../../src/local/main.ts';
import { assertPortFree, PortInUseError } from '../../src/local/ports.ts';
import { eventually } from '../support/eventually.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { pushImage } from '../support/images.ts';
import { requestLocalApi } from '../support/local-stack.ts';
import { encodeJson, pushBlob, pushRawManifest } from '../support/registry-push.ts';
import { freeRunnerPorts as freePorts, registryChildren } from '../support/runner-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startLocalStack', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let stack: LocalStack;
  const printed: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-stack-'));
    env = { ...(await freePorts()), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    stack = await startLocalStack({ env, standalone: false, print: (text) => printed.push(text) });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers health without a token and refuses the API without it', async () => {
    expect((await fetch(`${stack.apiUrl}/v1/health`)).status).toBe(200);
    expect((await fetch(`${stack.apiUrl}/v1/repositories`)).status).toBe(401);
    expect((await requestLocalApi(stack, 'GET', '/v1/repositories')).status).toBe(200);
  });

  it('keeps the token and the webhook secret in 0600 files of the data folder, and prints neither', async () => {
    const token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    const secret = (await readFile(join(dataDir, 'registry-secret'), 'utf8')).trim();
    expect(token).toBe(stack.token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret).not.toBe(token);
    for (const name of ['api-token', 'registry-secret']) expect((await stat(join(dataDir, name))).mode & 0o777).toBe(0o600);
    const output = printed.join('');
    expect(output).toContain(join(dataDir, 'api-token'));
    expect(output).toContain(`docker://127.0.0.1:${env.REGISTRY_PORT}/`);
    expect(output).not.toContain(token);
    expect(output).not.toContain(secret);
  });

  it('turns real registry pushes into webhook events for the handlers, which publish the index', async () => {
    const put = await requestLocalApi(stack, 'PUT', '/v1/repositories/team/hello/config', {
      requiredPlatforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(put.status).toBe(200);

    const amd64 = await pushImage(stack.registryUrl, 'team/hello', '2.7-amd64', { arch: 'amd64', format: 'oci' });
    const waiting = await eventually(async () => {
      const response = await requestLocalApi(stack, 'GET', '/v1/repositories/team/hello/versions/2.7');
      return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
    }, 'the amd64 push to be recorded');
    expect(waiting).toMatchObject({ state: 'waiting', missingPlatforms: ['linux/arm64'] });

    const arm64 = await pushImage(stack.registryUrl, 'team/hello', '2.7-arm64', { arch: 'arm64', format: 'oci' });
    const published = await eventually(async () => {
      const body = (await (await requestLocalApi(stack, 'GET', '/v1/repositories/team/hello/versions/2.7')).json()) as {
        state: string;
        published?: { digest: string };
      };
      return body.state === 'published' ? body : undefined;
    }, 'version 2.7 to be published');
    expect(published).toMatchObject({
      state: 'published',
      images: expect.arrayContaining([
        expect.objectContaining({ platform: 'linux/amd64', digest: amd64.digest, tag: '2.7-amd64' }),
        expect.objectContaining({ platform: 'linux/arm64', digest: arm64.digest, tag: '2.7-arm64' }),
      ]),
    });

    // The registry is the truth: the version tag holds the index the API reports.
    const manifest = await fetch(`${stack.registryUrl}/v2/team/hello/manifests/2.7`, {
      headers: { accept: `${MediaTypes.ociIndex}, ${MediaTypes.dockerManifestList}` },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(published.published?.digest);
    const index = (await manifest.json()) as { manifests: Array<{ digest: string }> };
    expect(index.manifests.map((m) => m.digest).sort()).toEqual([amd64.digest, arm64.digest].sort());
  });

  it('republishes when one architecture is rebuilt under the same tag', async () => {
    // distribution notifies before it moves the tag: the runner must not take the rebuild for a stale event.
    const before = (await (await requestLocalApi(stack, 'GET', '/v1/repositories/team/hello/versions/2.7')).json()) as {
      published: { digest: string };
    };
    const rebuilt = await pushImage(stack.registryUrl, 'team/hello', '2.7-amd64', { arch: 'amd64', format: 'oci', label: 'rebuild-1' });
    const after = await eventually(async () => {
      const body = (await (await requestLocalApi(stack, 'GET', '/v1/repositories/team/hello/versions/2.7')).json()) as {
        state: string;
        published: { digest: string };
        images: Array<{ platform: string; digest: string }>;
      };
      return body.state === 'published' && body.published.digest !== before.published.digest ? body : undefined;
    }, 'the rebuild to be republished');
    expect(after.images.find((image) => image.platform === 'linux/amd64')?.digest).toBe(rebuilt.digest);
    const tag = await fetch(`${stack.registryUrl}/v2/team/hello/manifests/2.7`, {
      method: 'HEAD',
      headers: { accept: MediaTypes.ociIndex },
    });
    expect(tag.headers.get('docker-content-digest')).toBe(after.published.digest);
  });

  it('publishes the configured annotations and the org.opencontainers.image labels every image carries, created the latest one', async () => {
    const put = await requestLocalApi(stack, 'PUT', '/v1/repositories/team/annotated/config', {
      requiredPlatforms: ['linux/amd64', 'linux/arm64'],
      annotations: { 'com.example.team': 'web', 'org.opencontainers.image.title': 'hello' },
    });
    expect(put.status).toBe(200);
    const source = 'https://github.com/example/hello';
    // Built apart, as two runners would: they agree on the source, not on the revision, title or created.
    await pushImage(stack.registryUrl, 'team/annotated', '1.0-amd64', {
      arch: 'amd64',
      format: 'oci',
      labels: {
        'org.opencontainers.image.source': source,
        'org.opencontainers.image.revision': 'r1',
        'org.opencontainers.image.title': 'hello amd64',
      },
      created: '2026-11-27T09:00:00Z',
    });
    await pushImage(stack.registryUrl, 'team/annotated', '1.0-arm64', {
      arch: 'arm64',
      format: 'oci',
      labels: {
        'org.opencontainers.image.source': source,
        'org.opencontainers.image.revision': 'r2',
        'org.opencontainers.image.title': 'hello arm64',
      },
      created: '2026-11-27T09:30:00.5Z',
    });
    const published = await eventually(async () => {
      const body = (await (await requestLocalApi(stack, 'GET', '/v1/repositories/team/annotated/versions/1.0')).json()) as {
        state: string;
        published?: { digest: string };
      };
      return body.state === 'published' ? body : undefined;
    }, 'version 1.0 to be published');

    const response = await fetch(`${stack.registryUrl}/v2/team/annotated/manifests/1.0`, {
      headers: { accept: `${MediaTypes.ociIndex}, ${MediaTypes.dockerManifestList}` },
    });
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const digest = response.headers.get('docker-content-digest') ?? '';
    expect(digest).toBe(published.published?.digest);
    const index = expectValidIndex({ mediaType: response.headers.get('content-type') ?? '', digest, size: bytes.byteLength, bytes }) as {
      annotations?: unknown;
    };
    expect(index.annotations).toStrictEqual({
      'com.example.team': 'web',
      'org.opencontainers.image.created': '2026-11-27T09:30:00.5Z',
      'org.opencontainers.image.source': source,
      'org.opencontainers.image.title': 'hello',
    });
  });

  it('shows a refused push (a config without architecture) in the status, even as the only push, until a good push of the tag clears it', async () => {
    const config = await pushBlob(
      stack.registryUrl,
      'team/hello',
      encodeJson({ os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
      MediaTypes.ociConfig,
    );
    const manifest = encodeJson({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [] });
    const refused = await pushRawManifest(stack.registryUrl, 'team/hello', '3.0-arm64', manifest, MediaTypes.ociManifest);
    const failed = await eventually(async () => {
      const response = await requestLocalApi(stack, 'GET', '/v1/repositories/team/hello/versions/3.0');
      return response.status === 200
        ? ((await response.json()) as { state: string; error: string; images: unknown[]; rejected: Array<Record<string, string>> })
        : undefined;
    }, 'the refusal to be recorded');
    expect(failed).toMatchObject({ state: 'failed', images: [], rejected: [{ tag: '3.0-arm64', digest: refused.digest }] });
    expect(failed.rejected[0]?.reason).toContain('has no architecture or os');
    expect(failed.error).toContain(`push of 3.0-arm64 (${refused.digest}) was refused`);

    await pushImage(stack.registryUrl, 'team/hello', '3.0-arm64', { arch: 'arm64', format: 'oci' });
    const waiting = await eventually(async () => {
      const body = (await (await requestLocalApi(stack, 'GET', '/v1/repositories/team/hello/versions/3.0')).json()) as {
        state: string;
        rejected: unknown[];
        error: string | null;
      };
      return body.state === 'waiting' ? body : undefined;
    }, 'the good push to clear the refusal');
    expect(waiting).toMatchObject({ rejected: [], error: null });
  });

  it('keeps the registry log out of its own output', async () => {
    const log = await readFile(join(dataDir, 'registry', 'registry.log'), 'utf8');
    expect(log).toContain('/v2/team/hello/manifests/2.7-amd64');
    expect(printed.join('')).not.toContain('/v2/team/hello/manifests');
  });

  describe('when started again on the same data folder', () => {
    it('reuses the token and finds the versions recorded before', async () => {
      const token = stack.token;
      await stack.stop();
      stack = await startLocalStack({ env, standalone: false, print: () => undefined });
      expect(stack.token).toBe(token);
      const response = await requestLocalApi(stack, 'GET', '/v1/repositories/team/hello/versions/2.7');
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ state: 'published' });
    });
  });

  describe.each([
    ['API_PORT', 'API and registry webhook'],
    ['REGISTRY_PORT', 'registry'],
  ])('when the port of %s is taken', (envVar, what) => {
    it('fails naming the port and the variable, and leaves nothing running', async () => {
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
      const taken = (blocker.address() as { port: number }).port;
      const otherDir = await mkdtemp(join(tmpdir(), 'local-stack-taken-'));
      try {
        const ports = await freePorts();
        const attempt = startLocalStack({
          env: { ...ports, [envVar]: String(taken), DATA_DIR: otherDir },
          standalone: false,
          print: () => undefined,
        });
        await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
        await expect(attempt).rejects.toThrow(new RegExp(`port ${taken} .*\\(${what}\\).*set ${envVar}`));
        // The other port was not left bound by a half-started stack.
        const other = envVar === 'API_PORT' ? ports.REGISTRY_PORT : ports.API_PORT;
        await expect(assertPortFree(Number(other), 'check', 'X')).resolves.toBeUndefined();
      } finally {
        blocker.close();
        await rm(otherDir, { recursive: true, force: true });
      }
    });
  });
});

describe('manifest-assembler start (the CLI, as its own process)', () => {
  it('stops the registry, dynalite and the server on SIGINT, frees its ports and exits 0', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'local-stack-proc-'));
    const ports = await freePorts();
    const child = spawn(process.execPath, ['bin/manifest-assembler.mjs', 'start'], {
      cwd: ROOT,
      env: { ...process.env, ...ports, DATA_DIR: dataDir, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await eventually(
        async () => (stdout.includes('local stack is ready') ? true : undefined),
        `the stack to be ready (stderr: ${stderr})`,
        30_000,
      );
      const registries = await registryChildren(child.pid ?? -1);
      expect(registries).toHaveLength(1);
      const registryPid = registries[0] ?? -1;
      expect((await fetch(`http://127.0.0.1:${ports.API_PORT}/v1/health`)).status).toBe(200);

      child.kill('SIGINT');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(isAlive(registryPid)).toBe(false);
      await expect(assertPortFree(Number(ports.API_PORT), 'api', 'API_PORT')).resolves.toBeUndefined();
      await expect(assertPortFree(Number(ports.REGISTRY_PORT), 'registry', 'REGISTRY_PORT')).resolves.toBeUndefined();
      expect(stderr).toContain('SIGINT received, stopping');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
