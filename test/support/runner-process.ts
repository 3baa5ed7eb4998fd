import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { RUNNER_NODE_FLAGS } from '../../src/local/runner-node-flags.ts';
import { findFreePort } from './registry-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * `manifest-assembler start` as its own process (the way `npm start` runs it), so a test can read
 * its memory from outside, kill it with SIGKILL, and start it again on the same data folder.
 */
export interface RunnerProcess {
  readonly pid: number;
  readonly apiUrl: string;
  readonly registryUrl: string;
  readonly token: string;
  readonly webhookSecret: string;
  readonly ports: RunnerPorts;
  readonly dataDir: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGINT (a clean stop); resolves with its exit once it is gone. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: no clean-up at all; resolves once it is gone. */
  kill(): Promise<void>;
}

export interface RunnerPorts {
  readonly REGISTRY_PORT: string;
  readonly API_PORT: string;
}

/** Two distinct free ports of 127.0.0.1. */
export async function freeRunnerPorts(): Promise<RunnerPorts> {
  const registry = await findFreePort();
  let api = await findFreePort();
  while (api === registry) api = await findFreePort();
  return { REGISTRY_PORT: String(registry), API_PORT: String(api) };
}

/**
 * Starts the runner on `dataDir` and resolves once it printed that it is ready; rejects with its
 * output when it exits or stays silent for `readyTimeoutMs`.
 */
export async function startRunnerProcess(options: {
  dataDir: string;
  ports?: RunnerPorts;
  env?: Record<string, string>;
  /** Node options for the runner, after its own ({@link RUNNER_NODE_FLAGS}, as the bin's shebang has them). */
  nodeOptions?: readonly string[];
  readyTimeoutMs?: number;
}): Promise<RunnerProcess> {
  const ports = options.ports ?? (await freeRunnerPorts());
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    [...RUNNER_NODE_FLAGS, ...(options.nodeOptions ?? []), 'bin/manifest-assembler.mjs', 'start'],
    {
      cwd: ROOT,
      env: { ...process.env, ...ports, DATA_DIR: options.dataDir, NODE_NO_WARNINGS: '1', LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (!output.includes('local stack is ready')) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the runner did not start (exit ${child.exitCode ?? child.signalCode ?? 'none yet'}):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const read = async (name: string) => (await readFile(join(options.dataDir, name), 'utf8')).trim();
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid ?? -1,
    apiUrl: `http://127.0.0.1:${ports.API_PORT}`,
    registryUrl: `http://127.0.0.1:${ports.REGISTRY_PORT}`,
    token: await read('api-token'),
    webhookSecret: await read('registry-secret'),
    ports,
    dataDir: options.dataDir,
    output: () => output,
    async stop() {
      if (!gone()) child.kill('SIGINT');
      const [code, signal] = await exited;
      return { code, signal };
    },
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resident memory of `pid` in MiB, read from /proc (outside the process, as `ps` would). */
export async function readRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib) / 1024;
}

/** Whether a process with `pid` exists (and is not a zombie). */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** The docker-registry processes started by `pid` (read from /proc: the runner names no pid). */
export async function registryChildren(pid: number): Promise<number[]> {
  return childrenMatching(pid, 'docker-registry');
}

/** The dynalite child processes started by `pid` (src/local/dynalite/dynalite-child.ts). */
export async function dynaliteChildren(pid: number): Promise<number[]> {
  return childrenMatching(pid, 'dynalite-child');
}

/** The child processes of `pid` whose command line contains `marker`, read from /proc. */
async function childrenMatching(pid: number, marker: string): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const children = (await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => ''))))
    .join(' ')
    .split(/\s+/)
    .filter((text) => text !== '')
    .map(Number);
  const matching: number[] = [];
  for (const child of children) {
    const cmdline = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) matching.push(child);
  }
  return matching;
}
