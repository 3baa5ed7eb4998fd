import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypes } from '../../src/core/media-types.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage } from '../support/images.ts';
import { dynaliteChildren, isProcessAlive, type RunnerProcess, registryChildren, startRunnerProcess } from '../support/runner-process.ts';

interface VersionBody {
  state: string;
  published?: { digest: string };
}

describe('the runner killed with SIGKILL, then started again on the same data folder and ports', () => {
  let dataDir: string;
  let first: RunnerProcess;
  let second: RunnerProcess | undefined;
  let orphan = -1;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'runner-kill-'));
    first = await startRunnerProcess({ dataDir, env: { RECONCILE_INTERVAL: '0' } });
  });

  afterAll(async () => {
    await first?.kill();
    await second?.stop();
    if (await isProcessAlive(orphan)) process.kill(orphan, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('comes up with no manual step, stops the registry the killed one left behind, and has lost nothing', {
    timeout: 120_000,
  }, async () => {
    const version = (runner: RunnerProcess) => async () => {
      const response = await fetch(`${runner.apiUrl}/v1/repositories/team/kill/versions/1.0`, {
        headers: { authorization: `Bearer ${runner.token}` },
      });
      return response.status === 200 ? ((await response.json()) as VersionBody) : undefined;
    };
    const put = await fetch(`${first.apiUrl}/v1/repositories/team/kill/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }),
    });
    expect(put.status).toBe(200);
    await pushImage(first.registryUrl, 'team/kill', '1.0-amd64', { arch: 'amd64', format: 'oci' });
    await pushImage(first.registryUrl, 'team/kill', '1.0-arm64', { arch: 'arm64', format: 'oci' });
    const published = await eventually(
      async () => {
        const body = await version(first)();
        return body?.state === 'published' ? body : undefined;
      },
      'version 1.0 to be published',
      30_000,
    );
    [orphan = -1] = await registryChildren(first.pid);
    const [firstDynalite = -1] = await dynaliteChildren(first.pid);
    expect(await isProcessAlive(firstDynalite)).toBe(true);

    await first.kill();
    // What a SIGKILL leaves: the registry, no longer anyone's child, still serving on the port.
    expect(await isProcessAlive(orphan)).toBe(true);

    second = await startRunnerProcess({ dataDir, ports: first.ports, env: { RECONCILE_INTERVAL: '0' } });
    expect(await isProcessAlive(orphan)).toBe(false);
    expect(second.output()).toContain(`stopped the docker-registry (pid ${orphan}`);
    expect(await registryChildren(second.pid)).toHaveLength(1);
    // dynalite, unlike the registry, follows its runner out (its IPC channel closed), releasing the
    // LevelDB folder to the new runner's own dynalite.
    await eventually(
      async () => ((await isProcessAlive(firstDynalite)) ? undefined : true),
      "the killed runner's dynalite to exit",
      30_000,
    );
    expect(await dynaliteChildren(second.pid)).toHaveLength(1);

    // Nothing lost: the state and the registry's content from before the kill.
    expect(await version(second)()).toMatchObject({ state: 'published', published: { digest: published.published?.digest } });
    const index = await fetch(`${second.registryUrl}/v2/team/kill/manifests/1.0`, {
      method: 'HEAD',
      headers: { accept: MediaTypes.ociIndex },
    });
    expect(index.headers.get('docker-content-digest')).toBe(published.published?.digest);
    // And the new registry notifies the new runner: a rebuild is republished.
    await pushImage(second.registryUrl, 'team/kill', '1.0-arm64', { arch: 'arm64', format: 'oci', label: 'after-the-kill' });
    const runner = second;
    await eventually(
      async () => {
        const body = await version(runner)();
        return body?.state === 'published' && body.published?.digest !== published.published?.digest ? body : undefined;
      },
      'the rebuild to be republished',
      30_000,
    );
  });
});
