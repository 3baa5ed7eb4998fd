import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderRegistryConfig } from '../../../src/local/registry/registry-config.ts';
import {
  REGISTRY_INSTANCE_HEADER,
  RegistryStartError,
  type RunningRegistryProcess,
  startRegistryProcess,
} from '../../../src/local/registry/registry-process.ts';
import { findFreePort, startRegistry } from '../../support/registry-process.ts';

// startRegistryProcess against the real docker-registry binary.

describe('startRegistryProcess', () => {
  let dir: string;
  const started: RunningRegistryProcess[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'registry-process-'));
  });
  afterEach(async () => {
    for (const registry of started.splice(0)) await registry.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function writeConfig(port: number, instanceId: string): Promise<string> {
    const configPath = join(dir, 'config.yml');
    await writeFile(
      configPath,
      renderRegistryConfig({
        addr: `127.0.0.1:${port}`,
        rootDirectory: join(dir, 'data'),
        httpSecret: randomBytes(16).toString('hex'),
        responseHeaders: { [REGISTRY_INSTANCE_HEADER]: instanceId },
      }),
    );
    return configPath;
  }

  /** A registry of the test's own config on a free port, stopped after the test. */
  async function startOnFreePort(): Promise<{ registry: RunningRegistryProcess; port: number; instanceId: string }> {
    const port = await findFreePort();
    const instanceId = randomUUID();
    const registry = await startRegistryProcess({
      configPath: await writeConfig(port, instanceId),
      logPath: join(dir, 'registry.log'),
      url: `http://127.0.0.1:${port}`,
      instanceId,
      readyTimeoutMs: 5_000,
    });
    started.push(registry);
    return { registry, port, instanceId };
  }

  describe('when the environment holds REGISTRY_* variables', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('keeps them from the registry, which would read them as config overrides', async () => {
      const elsewhere = await findFreePort();
      // distribution would listen here instead of on the configured address.
      vi.stubEnv('REGISTRY_HTTP_ADDR', `127.0.0.1:${elsewhere}`);
      const { port, instanceId } = await startOnFreePort();
      const response = await fetch(`http://127.0.0.1:${port}/v2/`);
      expect(response.headers.get(REGISTRY_INSTANCE_HEADER)).toBe(instanceId);
      await expect(fetch(`http://127.0.0.1:${elsewhere}/v2/`)).rejects.toThrow();
    });
  });

  describe("the registry's Go collector", () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });
    const goEnvironmentOfStarted = async (): Promise<Record<string, string | undefined>> => {
      const { registry } = await startOnFreePort();
      const environ = (await readFile(`/proc/${registry.pid}/environ`, 'utf8')).split('\0');
      const variable = (name: string) => environ.find((entry) => entry.startsWith(`${name}=`))?.slice(name.length + 1);
      return { GOGC: variable('GOGC'), GOMEMLIMIT: variable('GOMEMLIMIT') };
    };

    it('runs at GOGC=400 with GOMEMLIMIT=64MiB when the environment does not say', async () => {
      vi.stubEnv('GOGC', undefined);
      vi.stubEnv('GOMEMLIMIT', undefined);
      expect(await goEnvironmentOfStarted()).toEqual({ GOGC: '400', GOMEMLIMIT: '64MiB' });
    });

    it("keeps the environment's GOGC and GOMEMLIMIT when it has them", async () => {
      vi.stubEnv('GOGC', '150');
      vi.stubEnv('GOMEMLIMIT', '1GiB');
      expect(await goEnvironmentOfStarted()).toEqual({ GOGC: '150', GOMEMLIMIT: '1GiB' });
    });
  });

  describe('when another registry already answers on the port', () => {
    it('does not take it for its own: it fails with what its registry said', async () => {
      const other = await startRegistry();
      try {
        const instanceId = randomUUID();
        const attempt = startRegistryProcess({
          configPath: await writeConfig(other.port, instanceId),
          logPath: join(dir, 'registry.log'),
          url: other.url,
          instanceId,
          readyTimeoutMs: 5_000,
        });
        await expect(attempt).rejects.toBeInstanceOf(RegistryStartError);
        await expect(attempt).rejects.toThrow(/exited \(exit code \d+\) before answering[\s\S]*address already in use/);
      } finally {
        await other.stop();
      }
    });
  });
});
