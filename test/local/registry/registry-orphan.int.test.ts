import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderRegistryConfig } from '../../../src/local/registry/registry-config.ts';
import { DataFolderInUseError, stopOrphanedRegistry, writeRegistryPidFile } from '../../../src/local/registry/registry-orphan.ts';
import { REGISTRY_BINARY } from '../../../src/local/registry/registry-process.ts';
import { findFreePort } from '../../support/registry-process.ts';
import { isProcessAlive } from '../../support/runner-process.ts';

/** A pid no process has: that of a child that already exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await once(child, 'exit');
  return child.pid ?? -1;
}

describe('stopOrphanedRegistry', () => {
  let dir: string;
  let pidFile: string;
  let configPath: string;
  const started: ChildProcess[] = [];

  /** docker-registry serving `config`, a child of this test process. */
  async function startRegistry(config: string): Promise<number> {
    await mkdir(join(dir, 'data'), { recursive: true });
    await writeFile(
      config,
      renderRegistryConfig({ addr: `127.0.0.1:${await findFreePort()}`, rootDirectory: join(dir, 'data'), httpSecret: 'test' }),
    );
    const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: 'ignore' });
    started.push(child);
    // Until it has exec'd, the forked child still shows this process's command line.
    while (!(await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).includes(config)) await new Promise((r) => setTimeout(r, 10));
    return child.pid ?? -1;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'registry-orphan-'));
    pidFile = join(dir, 'registry.pid');
    configPath = join(dir, 'config.yml');
  });

  afterEach(async () => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('does nothing without a record, or with one it cannot read', async () => {
    expect(await stopOrphanedRegistry({ pidFile, configPath, binary: REGISTRY_BINARY })).toEqual({ kind: 'none' });
    await writeFile(pidFile, '{"registryPid": "1; rm -rf /"}');
    expect(await stopOrphanedRegistry({ pidFile, configPath, binary: REGISTRY_BINARY })).toEqual({ kind: 'none' });
  });

  it('writes the record owner-only', async () => {
    await writeRegistryPidFile(pidFile, { registryPid: 1234, runnerPid: 5678 });
    expect((await stat(pidFile)).mode & 0o777).toBe(0o600);
  });

  describe.each([
    ['the recorded pid is gone', async () => deadPid()],
    [
      'the recorded pid is now another program',
      async () => {
        const child = spawn('sleep', ['30'], { stdio: 'ignore' });
        started.push(child);
        return child.pid ?? -1;
      },
    ],
    ['the recorded pid is a registry serving another config', async (): Promise<number> => startRegistry(join(dir, 'other.yml'))],
  ])('when %s', (_, makePid) => {
    it('signals nothing and forgets the stale record', async () => {
      const pid = await makePid();
      await writeRegistryPidFile(pidFile, { registryPid: pid, runnerPid: await deadPid() });
      expect(await stopOrphanedRegistry({ pidFile, configPath, binary: REGISTRY_BINARY })).toEqual({ kind: 'stale', pid });
      await expect(stat(pidFile)).rejects.toThrow(/ENOENT/);
      if (started.length > 0) expect(await isProcessAlive(pid)).toBe(true);
    });
  });

  describe('when the recorded registry still has the recorded runner as its parent', () => {
    it('refuses with an error naming both, and leaves it running', async () => {
      const pid = await startRegistry(configPath);
      await writeRegistryPidFile(pidFile, { registryPid: pid, runnerPid: process.pid });
      const attempt = stopOrphanedRegistry({ pidFile, configPath, binary: REGISTRY_BINARY });
      await expect(attempt).rejects.toBeInstanceOf(DataFolderInUseError);
      await expect(attempt).rejects.toThrow(`another runner (pid ${process.pid}, registry pid ${pid}) is using this data folder`);
      expect(await isProcessAlive(pid)).toBe(true);
    });
  });

  describe('when the recorded registry serves this config and its runner is gone', () => {
    it('stops it with SIGTERM and removes the record', async () => {
      const pid = await startRegistry(configPath);
      await writeRegistryPidFile(pidFile, { registryPid: pid, runnerPid: await deadPid() });
      expect(await stopOrphanedRegistry({ pidFile, configPath, binary: REGISTRY_BINARY })).toEqual({
        kind: 'stopped',
        pid,
        how: 'SIGTERM',
      });
      expect(await isProcessAlive(pid)).toBe(false);
      await expect(stat(pidFile)).rejects.toThrow(/ENOENT/);
    });
  });
});
