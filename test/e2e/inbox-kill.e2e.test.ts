import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypes } from '../../src/core/media-types.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, type TestArch } from '../support/images.ts';
import { type RunningRegistry, startRegistry } from '../support/registry-process.ts';
import { freeRunnerPorts, type RunnerPorts, type RunnerProcess, startRunnerProcess } from '../support/runner-process.ts';

/** Waits as long as a restart under load may take; a metrics read that fails while the runner restarts counts as "not yet". */
const patiently = <T>(check: () => Promise<T | undefined>, what: string): Promise<T> =>
  eventually(() => check().catch(() => undefined), what, 120_000);

/**
 * The durable inbox against SIGKILL: the runner (its own process, `manifest-assembler start`) is
 * killed in the middle of a burst, while pushes it already answered for wait in its inbox, then
 * started again on the same data folder. The reconciler is off, so only the inbox and the
 * registry's own redelivery can bring the pushes through.
 *
 * The registry is the test's, so it outlives the kill (as a registry the user runs would, with
 * REGISTRY_URL): events it could not deliver while the runner was down, it delivers to the new one.
 * The runner reaches it through a proxy that delays each request, so that handling falls behind
 * recording and the inbox holds a backlog when the kill comes (waited for, never timed).
 */
const VERSIONS = 16;
const PUSHERS = 4;
const ARCHES: readonly TestArch[] = ['amd64', 'arm64'];
const DELAY_MS = 40;
const REPOSITORY = 'team/inbox';

/** Forwards every request to `upstream` after `delayMs`. */
async function startDelayProxy(upstream: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(upstream);
  const server: Server = createServer((request, response) => {
    setTimeout(() => {
      const forward = httpRequest(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forward.on('error', () => response.destroy());
      request.pipe(forward);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A counter or gauge from the runner's /metrics. */
async function metric(runner: RunnerProcess, name: string): Promise<number> {
  const text = await (await fetch(`${runner.apiUrl}/metrics`, { headers: { authorization: `Bearer ${runner.token}` } })).text();
  const value = new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`no ${name} in /metrics:\n${text}`);
  return Number(value);
}

describe('the runner killed with SIGKILL in the middle of a burst, with pushes recorded and not yet handled', () => {
  let dataDir: string;
  let ports: RunnerPorts;
  let registry: RunningRegistry;
  let proxy: { url: string; close(): Promise<void> };
  let first: RunnerProcess | undefined;
  let second: RunnerProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'inbox-kill-'));
    ports = await freeRunnerPorts();
    const secret = randomBytes(32).toString('base64url');
    await writeFile(join(dataDir, 'registry-secret'), `${secret}\n`, { mode: 0o600 });
    registry = await startRegistry({ notificationUrl: `http://127.0.0.1:${ports.API_PORT}/v1/hooks/registry`, notificationSecret: secret });
    proxy = await startDelayProxy(registry.url, DELAY_MS);
  });

  afterAll(async () => {
    await first?.kill();
    await second?.stop();
    await proxy?.close();
    await registry?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('publishes every version after the restart, from the inbox and the registry redelivery, with the reconciler off', {
    timeout: 300_000,
  }, async () => {
    const env = { REGISTRY_URL: proxy.url, RECONCILE_INTERVAL: '0', INBOX_CONCURRENCY: '2' };
    first = await startRunnerProcess({ dataDir, ports, env });
    const put = await fetch(`${first.apiUrl}/v1/repositories/${REPOSITORY}/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }),
    });
    expect(put.status).toBe(200);

    // The burst, pushed straight to the registry; it goes on while the runner is down.
    const queue = Array.from({ length: VERSIONS }, (_, i) => `1.${i}.0`);
    const pushing = Promise.all(
      Array.from({ length: PUSHERS }, async () => {
        for (let version = queue.shift(); version !== undefined; version = queue.shift()) {
          for (const arch of ARCHES)
            await pushImage(registry.url, REPOSITORY, `${version}-${arch}`, { arch, format: 'oci', label: version });
        }
      }),
    );

    const runner = first;
    const atKill = await patiently(async () => {
      const [recorded, pending] = [
        await metric(runner, 'manifest_assembler_inbox_recorded_total'),
        await metric(runner, 'manifest_assembler_inbox_pending'),
      ];
      return recorded >= 8 && pending >= 4 ? { recorded, pending } : undefined;
    }, 'the inbox to hold a backlog');
    await first.kill();
    await pushing;

    second = await startRunnerProcess({ dataDir, ports, env: { ...env, REGISTRY_URL: registry.url } });
    const resumed = await metric(second, 'manifest_assembler_inbox_resumed_total');
    // What the killed runner had answered for and not finished came back from its inbox.
    expect(resumed, `at the kill: ${JSON.stringify(atKill)}`).toBeGreaterThanOrEqual(1);

    const auth = { authorization: `Bearer ${second.token}` };
    const restarted = second;
    for (let i = 0; i < VERSIONS; i++) {
      const version = `1.${i}.0`;
      const status = await patiently(async () => {
        const body = (await (
          await fetch(`${restarted.apiUrl}/v1/repositories/${REPOSITORY}/versions/${version}`, { headers: auth })
        ).json()) as { state?: string; published?: { digest: string } };
        return body.state === 'published' ? body : undefined;
      }, `${version} to be published`);
      const index = await fetch(`${registry.url}/v2/${REPOSITORY}/manifests/${version}`, {
        method: 'HEAD',
        headers: { accept: MediaTypes.ociIndex },
      });
      expect(index.headers.get('docker-content-digest')).toBe(status.published?.digest);
    }
    expect(await metric(second, 'manifest_assembler_inbox_refused_total')).toBe(0);
    await patiently(
      async () => ((await metric(restarted, 'manifest_assembler_inbox_pending')) === 0 ? true : undefined),
      'the inbox to empty',
    );
  });
});
