// The runner as the benches start it: its own process (`manifest-assembler start`), as in use.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { RUNNER_NODE_FLAGS } from '../src/local/runner-node-flags.ts';
import { childProcessesOf } from './rss-sampler.ts';

const root = join(import.meta.dirname, '..');

/**
 * The runner as `npm start` and the bin's shebang run it: with {@link RUNNER_NODE_FLAGS}, and any
 * extra node flags in BENCH_RUNNER_NODE_FLAGS (space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
export function startRunner(env: Record<string, string>): ChildProcess {
  const extra = (process.env.BENCH_RUNNER_NODE_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== '');
  const child = spawn(process.execPath, [...RUNNER_NODE_FLAGS, ...extra, join(root, 'bin', 'manifest-assembler.mjs'), 'start'], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn', RECONCILE_INTERVAL: '0', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[runner] ${chunk.toString()}`));
  return child;
}

/** The pid of the runner's dynalite child process (src/local/dynalite/dynalite-child.ts). */
export function dynalitePid(runnerPid: number): number {
  const [pid, ...more] = childProcessesOf(runnerPid, 'dynalite-child');
  if (pid === undefined || more.length > 0)
    throw new Error(
      `expected one dynalite child process of the runner (pid ${runnerPid}), found ${more.length + (pid === undefined ? 0 : 1)}`,
    );
  return pid;
}

/** Waits until the runner answers `/v1/health` (60 s at most); throws if it exits first. */
export async function waitForHealth(apiUrl: string, runner: ChildProcess): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (runner.exitCode !== null) throw new Error(`the runner exited with ${runner.exitCode} before answering`);
    const ok = await fetch(`${apiUrl}/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (performance.now() > deadline) throw new Error('the runner did not answer /v1/health within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Requires linux/amd64 and linux/arm64 of `repository` through the runner's API (`PUT …/config`), as a user would. */
export async function configureRepository(apiUrl: string, token: string, repository: string, tagPattern: string): Promise<void> {
  const answer = await fetch(`${apiUrl}/v1/repositories/${repository}/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ requiredPlatforms: ['linux/amd64', 'linux/arm64'], tagPattern }),
  });
  if (!answer.ok) throw new Error(`configuring ${repository} failed: ${answer.status} ${await answer.text()}`);
}

/** SIGINT, as a user stops it; SIGKILL if it has not exited 10 s later. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}
