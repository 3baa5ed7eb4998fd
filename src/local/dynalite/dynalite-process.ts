import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RUNNER_NODE_FLAGS } from '../runner-node-flags.ts';
import type { RunningDynalite } from './dynalite-server.ts';

/** What the child (./dynalite-child.ts) tells its parent over the IPC channel. */
export type DynaliteChildMessage = { readonly kind: 'listening'; readonly port: number };

/** dynalite's child process failed to start, or failed while stopping; the message carries its stderr. */
export class DynaliteProcessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynaliteProcessError';
  }
}

/** dynalite running in a child process of this one. */
export interface DynaliteProcess extends RunningDynalite {
  readonly pid: number;
  /**
   * Settles when the child has exited, with how (`exit code 1`, `signal SIGKILL`) and the end of
   * its stderr. Outside {@link RunningDynalite.stop} that is a crash: the handlers lost DynamoDB.
   */
  readonly exited: Promise<string>;
}

export interface DynaliteProcessOptions {
  /** How long the child may take to open the folder and listen. */
  readonly startTimeoutMs?: number;
  /** How long stop() waits for the child to finish its requests and close LevelDB before SIGKILL. */
  readonly stopTimeoutMs?: number;
}

/** The end of the child's stderr kept for error messages. */
const STDERR_TAIL_CHARS = 4_000;

/**
 * Starts dynalite in a child process (node with the runner's own V8 flags), persisted under `path`
 * (LevelDB), on an ephemeral port of 127.0.0.1 that the child reports over IPC. Its own process, as
 * DynamoDB is not inside a Lambda: the runner's memory and CPU are the handlers' alone, and dynalite
 * runs on another core. The child exits when this process does, however it ends (its IPC channel
 * closes), so a runner killed with SIGKILL leaves no dynalite holding the LevelDB lock.
 */
export async function startDynaliteProcess(path: string, options: DynaliteProcessOptions = {}): Promise<DynaliteProcess> {
  const { startTimeoutMs = 30_000, stopTimeoutMs = 15_000 } = options;
  const child = spawn(process.execPath, [...RUNNER_NODE_FLAGS, ...dynaliteChildArgs(), path], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const exited = new Promise<string>((resolve) => {
    // 'close', not 'exit': by then stderr has been read to its end.
    child.once('close', (code, signal) => resolve(signal === null ? `exit code ${code}` : `signal ${signal}`));
  });
  const withStderr = (text: string) => (stderr.trim() === '' ? text : `${text}:\n${stderr.trimEnd()}`);

  let port: number;
  try {
    port = await waitForPort(child, exited, startTimeoutMs);
  } catch (error) {
    if (child.pid !== undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    throw new DynaliteProcessError(withStderr(`dynalite (child process) did not start: ${(error as Error).message}`), { cause: error });
  }
  // Neither the channel nor the child keeps this process alive: the runner lives as long as its
  // HTTP server does, and the child follows it out.
  child.channel?.unref();
  child.unref();

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    exited: exited.then(withStderr),
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const how = await Promise.race([
          exited,
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), stopTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (how === undefined) {
          child.kill('SIGKILL');
          await exited;
          throw new DynaliteProcessError(withStderr(`dynalite (child process) did not stop within ${stopTimeoutMs} ms; killed`));
        }
        if (how !== 'exit code 0') throw new DynaliteProcessError(withStderr(`dynalite (child process) stopped with ${how}`));
      })()),
  };
}

/** Resolves with the port the child reports; rejects when it exits, fails to spawn or stays silent. */
function waitForPort(child: ChildProcess, exited: Promise<string>, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port reported within ${timeoutMs} ms`)), timeoutMs);
    const settle = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('error', onError);
    };
    const onMessage = (message: DynaliteChildMessage) => {
      if (message?.kind !== 'listening') return;
      settle();
      resolve(message.port);
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    child.on('message', onMessage);
    child.on('error', onError);
    void exited.then((how) => {
      settle();
      reject(new Error(`it exited (${how}) before listening`));
    });
  });
}

/**
 * node's arguments for the child's entry file. From source (tests, tsx) that is
 * dynalite-child.ts, loaded through tsx; from the CLI's bundle (bin/cli-bundle.mjs), the
 * dynalite-child.mjs it builds beside local.mjs (this code may sit in local.mjs or in a chunk
 * under chunks/, so both folders are looked in).
 */
function dynaliteChildArgs(): string[] {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return ['--import', tsx, join(dirname(here), 'dynalite-child.ts')];
  }
  const candidates = [join(dirname(here), 'dynalite-child.mjs'), join(dirname(here), '..', 'dynalite-child.mjs')];
  const entry = candidates.find((candidate) => existsSync(candidate));
  if (entry === undefined)
    throw new DynaliteProcessError(`dynalite's child entry is missing from the CLI bundle (looked for ${candidates.join(', ')})`);
  return [entry];
}
