import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';

/** The registry binary of Debian's `docker-registry` package (CNCF distribution 2.8). */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
/** What a user runs when the binary is missing. */
export const REGISTRY_INSTALL_COMMAND = 'sudo apt-get install -y --no-install-recommends docker-registry';

/** The registry did not start; the message says why, with the end of its log. */
export class RegistryStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryStartError';
  }
}

export interface RegistryProcessOptions {
  readonly configPath: string;
  /** Its stdout and stderr are appended here, never to ours: at info level it logs the webhook secret. */
  readonly logPath: string;
  /** `http://127.0.0.1:<port>`: where `/v2/` answers once it is up. */
  readonly url: string;
  /**
   * When given, `/v2/` counts as answered only with `X-Registry-Instance: <instanceId>`
   * ({@link REGISTRY_INSTANCE_HEADER}, which the config must send: `responseHeaders` of
   * renderRegistryConfig). Without it another process already answering on the port (our registry
   * then exits with "address already in use") could be taken for the one just started.
   */
  readonly instanceId?: string;
  readonly readyTimeoutMs?: number;
  readonly binary?: string;
  /** Called with its pid as soon as it is spawned, before it answers (to record it: a kill -9 can come at any time). */
  readonly onSpawn?: (pid: number) => Promise<void>;
}

export interface RunningRegistryProcess {
  readonly pid: number;
  /** Resolves with the exit code or signal when the process ends, for whatever reason. */
  readonly exited: Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** The response header by which a starter recognises its own registry instance. */
export const REGISTRY_INSTANCE_HEADER = 'X-Registry-Instance';

/** Whether the registry binary is installed. */
export function isRegistryInstalled(binary = REGISTRY_BINARY): boolean {
  return existsSync(binary);
}

/**
 * Spawns `docker-registry serve <config>` and waits until `/v2/` answers. Throws
 * {@link RegistryStartError} with the tail of its log when it exits or stays silent.
 */
export async function startRegistryProcess(options: RegistryProcessOptions): Promise<RunningRegistryProcess> {
  const { configPath, logPath, url, readyTimeoutMs = 15_000, binary = REGISTRY_BINARY } = options;
  const log = await open(logPath, 'a', 0o600);
  let child: ChildProcess;
  let exited: Promise<string>;
  try {
    child = spawn(binary, ['serve', configPath], { stdio: ['ignore', log.fd, log.fd], env: registryEnvironment(process.env) });
    // Listened for before anything awaits: a process that fails at once can exit while we close the
    // log below, and an 'exit' emitted with no listener would leave `exited` pending for ever.
    const spawned = child;
    exited = new Promise<string>((resolve) => {
      spawned.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
      spawned.once('error', (error) => resolve(`spawn failed: ${error.message}`));
    });
  } finally {
    await log.close(); // the child holds its own copy of the descriptor
  }
  const running: RunningRegistryProcess = {
    pid: child.pid ?? -1,
    exited,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  if (child.pid !== undefined && options.onSpawn !== undefined) {
    try {
      await options.onSpawn(child.pid);
    } catch (error) {
      await running.stop();
      throw error;
    }
  }
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
  let failure = await waitForV2(url, readyTimeoutMs, hasExited, options.instanceId);
  if (failure === 'exited') failure = `exited (${await exited}) before answering`;
  if (failure !== undefined) {
    await running.stop();
    throw new RegistryStartError(`docker-registry ${failure} on ${url}/v2/; end of ${logPath}:\n${await readTail(logPath)}`);
  }
  return running;
}

/**
 * Polls `/v2/` until it answers (any status: an auth-protected registry answers 401), as
 * `instanceId` when one is given; `'exited'` when the process ended first, another reason when it
 * never answers.
 */
async function waitForV2(
  url: string,
  timeoutMs: number,
  hasExited: () => boolean,
  instanceId: string | undefined,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let someoneElse = false;
  while (Date.now() < deadline) {
    if (hasExited()) return 'exited';
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (instanceId === undefined || response.headers.get(REGISTRY_INSTANCE_HEADER) === instanceId) return undefined;
      someoneElse = true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return someoneElse ? `did not answer within ${timeoutMs} ms (another process answers there)` : `did not answer within ${timeoutMs} ms`;
}

/**
 * Go's collector settings for the registry, each unless the environment sets it. distribution 2.8
 * allocates heavily per request (it builds its router's regular expressions again for every one)
 * around a live heap of a few MiB, so at Go's default (GOGC=100) it collects every few requests.
 * GOGC=400 lets the heap grow to five times what is live before a collection; GOMEMLIMIT=64MiB, a
 * soft limit, starts one earlier when the heap nears 64 MiB, which bounds what GOGC=400 costs in
 * memory (past it Go keeps collecting but caps the collector at half the CPU). Measured on the 2-core
 * machine: 3,000 HEADs of a manifest by tag, 2.9–3.1 ms of the registry's CPU each at the default,
 * 1.6–2.0 ms at 400; in reduced benches the registry's CPU per burst 3.4 s at the default, 2.4 s at
 * 400 with or without the limit, its peak RSS 64 MiB at the default, 130 MiB at 400 alone, 74 MiB
 * with the limit. See docs/performance.md, "The registry's collector".
 */
export const REGISTRY_GO_ENVIRONMENT: Readonly<Record<'GOGC' | 'GOMEMLIMIT', string>> = Object.freeze({
  GOGC: '400',
  GOMEMLIMIT: '64MiB',
});

/** The registry's environment: ours without REGISTRY_* (they would override its config), with Go's collector settings. */
export function registryEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...REGISTRY_GO_ENVIRONMENT, ...withoutRegistryOverrides(env) };
}

/**
 * distribution reads every REGISTRY_* variable as a config override (REGISTRY_HTTP_ADDR…), and ours
 * (REGISTRY_PORT, REGISTRY_URL) share the prefix: none of them may reach it.
 */
function withoutRegistryOverrides(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('REGISTRY_')));
}

async function readTail(path: string, lines = 20): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
