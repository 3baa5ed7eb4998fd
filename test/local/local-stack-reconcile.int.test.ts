import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaTypes } from '../../src/core/media-types.ts';
import type { ReconcileReport } from '../../src/core/reconcile.ts';
import { readLocalSettings } from '../../src/local/local-settings.ts';
import { startLocalStackWith } from '../../src/local/local-stack.ts';
import { type LocalStack, startLocalStack } from '../../src/local/main.ts';
import { wireLocalHandlers } from '../../src/local/wire-handlers.ts';
import { CapturingLogger } from '../support/fakes.ts';
import { pushImage } from '../support/images.ts';
import { requestLocalApi } from '../support/local-stack.ts';
import { findFreePort, type RunningRegistry, startRegistry } from '../support/registry-process.ts';

// The reconcile timer of the local stack against the real registry and dynalite: pushes whose
// notifications never reached the runner (it was down, or the registry was told to notify nobody)
// are recorded and published by a reconcile pass, not by the webhook.

const REPOSITORY = 'team/lost';
const CONFIG = { requiredPlatforms: ['linux/amd64', 'linux/arm64'] };

async function freePorts(): Promise<{ REGISTRY_PORT: string; API_PORT: string }> {
  const registry = await findFreePort();
  let api = await findFreePort();
  while (api === registry) api = await findFreePort();
  return { REGISTRY_PORT: String(registry), API_PORT: String(api) };
}

interface VersionBody {
  state: string;
  images: Array<{ platform: string; digest: string }>;
  published: { digest: string } | null;
}

/** Polls the API until the version is published; the pass runs on the timer, after the pushes. */
async function waitForPublished(stack: LocalStack, version: string, timeoutMs = 30_000): Promise<VersionBody> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const response = await requestLocalApi(stack, 'GET', `/v1/repositories/${REPOSITORY}/versions/${version}`);
    last = `${response.status} ${await response.text()}`;
    if (response.status === 200) {
      const body = JSON.parse(last.slice(4)) as VersionBody;
      if (body.state === 'published') return body;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${REPOSITORY}:${version} was not published within ${timeoutMs} ms; last answer: ${last}`);
}

/** The registry is the truth: the version tag holds an index of exactly these per-arch images. */
async function expectIndexAt(registryUrl: string, tag: string, digest: string | undefined, children: string[]): Promise<void> {
  const response = await fetch(`${registryUrl}/v2/${REPOSITORY}/manifests/${tag}`, {
    headers: { accept: `${MediaTypes.ociIndex}, ${MediaTypes.dockerManifestList}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('docker-content-digest')).toBe(digest);
  const index = (await response.json()) as { manifests: Array<{ digest: string }> };
  expect(index.manifests.map((m) => m.digest).sort()).toEqual([...children].sort());
}

describe('the local stack’s reconcile timer', () => {
  let dataDir: string;
  let ports: { REGISTRY_PORT: string; API_PORT: string };
  const cleanups: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-reconcile-'));
    ports = await freePorts();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('when both per-arch images were pushed while the runner was down', () => {
    it('records and publishes them in the pass shortly after start', async () => {
      const env = { ...ports, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
      const first = await startLocalStack({ env: { ...env, RECONCILE_INTERVAL: '0' }, standalone: false, print: () => undefined });
      expect((await requestLocalApi(first, 'PUT', `/v1/repositories/${REPOSITORY}/config`, CONFIG)).status).toBe(200);
      await first.stop();

      // The stack's own registry storage, served by a registry that notifies nobody.
      const offline = await startRegistry({ dataDir: join(dataDir, 'registry', 'data'), port: Number(ports.REGISTRY_PORT) });
      const amd64 = await pushImage(offline.url, REPOSITORY, '3.1-amd64', { arch: 'amd64', format: 'oci' });
      const arm64 = await pushImage(offline.url, REPOSITORY, '3.1-arm64', { arch: 'arm64', format: 'oci' });
      await offline.stop();

      // An hour between passes: only the first pass, shortly after start, can publish within the test.
      const printed: string[] = [];
      const stack = await startLocalStack({
        env: { ...env, RECONCILE_INTERVAL: '3600' },
        standalone: false,
        print: (text) => printed.push(text),
      });
      cleanups.push(() => stack.stop());
      expect(printed.join('')).toContain('reconcile  every 3600 s');

      const published = await waitForPublished(stack, '3.1');
      expect(published.images.map((image) => [image.platform, image.digest]).sort()).toEqual([
        ['linux/amd64', amd64.digest],
        ['linux/arm64', arm64.digest],
      ]);
      await expectIndexAt(stack.registryUrl, '3.1', published.published?.digest, [amd64.digest, arm64.digest]);
    });
  });

  describe('when the registry’s notifications go nowhere while the runner is up', () => {
    it('publishes the version on a later pass', async () => {
      const silentRegistry = await startRegistry();
      cleanups.push(() => silentRegistry.stop());
      const stack = await startLocalStack({
        env: {
          API_PORT: ports.API_PORT,
          REGISTRY_URL: silentRegistry.url,
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          RECONCILE_INTERVAL: '0.3',
        },
        standalone: false,
        print: () => undefined,
      });
      cleanups.push(() => stack.stop());
      expect((await requestLocalApi(stack, 'PUT', `/v1/repositories/${REPOSITORY}/config`, CONFIG)).status).toBe(200);

      const amd64 = await pushImage(silentRegistry.url, REPOSITORY, '4.0-amd64', { arch: 'amd64', format: 'docker' });
      const arm64 = await pushImage(silentRegistry.url, REPOSITORY, '4.0-arm64', { arch: 'arm64', format: 'docker' });
      const published = await waitForPublished(stack, '4.0');
      await expectIndexAt(silentRegistry.url, '4.0', published.published?.digest, [amd64.digest, arm64.digest]);
    });
  });

  describe('stop', () => {
    let registry: RunningRegistry;
    beforeEach(async () => {
      registry = await startRegistry();
      cleanups.push(() => registry.stop());
    });

    it('lets a pass in progress finish, with dynalite and the registry still up, before it resolves', async () => {
      const events: string[] = [];
      let passStarted!: () => void;
      const started = new Promise<void>((resolve) => (passStarted = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let result: { reports: readonly ReconcileReport[] } | undefined;
      const logger = new CapturingLogger();

      const stack = await startLocalStackWith({
        settings: readLocalSettings(
          { API_PORT: ports.API_PORT, REGISTRY_URL: registry.url, DATA_DIR: dataDir, RECONCILE_INTERVAL: '3600' },
          dataDir,
        ),
        logger,
        // The real composition; the first pass is held at its start until the test lets it go.
        wire: async (endpoints) => {
          const handlers = await wireLocalHandlers(endpoints);
          const reconcile = handlers.reconcile;
          if (reconcile === undefined) throw new Error('wireLocalHandlers gave no reconcile handler');
          return {
            ...handlers,
            reconcile: async () => {
              passStarted();
              await gate;
              result = await reconcile();
              events.push('pass finished');
              return result;
            },
          };
        },
        print: () => undefined,
        cwd: dataDir,
        firstReconcileDelayMs: 0,
      });
      let stopped: Promise<void> | undefined;
      try {
        await started;
        expect((await requestLocalApi(stack, 'PUT', `/v1/repositories/${REPOSITORY}/config`, CONFIG)).status).toBe(200);
        const amd64 = await pushImage(registry.url, REPOSITORY, '5.0-amd64', { arch: 'amd64', format: 'oci' });
        const arm64 = await pushImage(registry.url, REPOSITORY, '5.0-arm64', { arch: 'arm64', format: 'oci' });

        stopped = stack.stop().then(() => void events.push('stopped'));
        // Give a stop that does not wait every chance to finish first.
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(events).toEqual([]);

        release();
        await stopped;
        expect(events).toEqual(['pass finished', 'stopped']);
        // The pass could still read and write DynamoDB and the registry: it did its whole job.
        expect(result?.reports.map((r) => [r.repository, r.pushesRecovered, r.failures])).toEqual([
          [REPOSITORY, ['5.0-amd64', '5.0-arm64'], []],
        ]);
        expect(logger.lines.filter((l) => l.message.startsWith('reconcile pass'))).toMatchObject([
          {
            level: 'info',
            message: expect.stringMatching(/^reconcile pass: 2 lost pushes recovered/),
            fields: { recovered: `${REPOSITORY}:5.0-amd64,${REPOSITORY}:5.0-arm64` },
          },
        ]);
        const tag = await fetch(`${registry.url}/v2/${REPOSITORY}/manifests/5.0`, {
          method: 'HEAD',
          headers: { accept: MediaTypes.ociIndex },
        });
        await expectIndexAt(registry.url, '5.0', tag.headers.get('docker-content-digest') ?? 'none', [amd64.digest, arm64.digest]);
      } finally {
        release();
        await (stopped ?? stack.stop());
      }
    });
  });
});
