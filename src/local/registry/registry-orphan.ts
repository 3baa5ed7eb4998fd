import { readFile, rm } from 'node:fs/promises';
import { procStatFields } from '../proc-stat.ts';
import { writeSecretFile } from '../secret-file.ts';

/**
 * Which registry a runner started, kept in the data folder: a runner killed with SIGKILL cannot stop
 * its docker-registry child, which then keeps serving (and holding the port) without it. The next
 * start on the same folder reads this file to find that orphan and stop it.
 */
export interface RegistryPidRecord {
  /** The docker-registry process. */
  readonly registryPid: number;
  /** The runner that started it: while the registry's parent is still this process, it is not an orphan. */
  readonly runnerPid: number;
}

/** Writes the record (0600, like everything else the stack keeps in its data folder). */
export async function writeRegistryPidFile(path: string, record: RegistryPidRecord): Promise<void> {
  await writeSecretFile(path, `${JSON.stringify(record)}\n`);
}

/** Removes the record once its registry stopped; a missing file is fine. */
export async function removeRegistryPidFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** What {@link stopOrphanedRegistry} found. */
export type OrphanOutcome =
  | { readonly kind: 'none' }
  /** The recorded pid is gone, or is now some other process: the record was stale and is removed; nothing was signalled. */
  | { readonly kind: 'stale'; readonly pid: number }
  | { readonly kind: 'stopped'; readonly pid: number; readonly how: 'SIGTERM' | 'SIGKILL' };

/** The registry recorded in the data folder still has its runner: another runner is using this folder. */
export class DataFolderInUseError extends Error {
  constructor(
    readonly runnerPid: number,
    readonly registryPid: number,
  ) {
    super(
      `another runner (pid ${runnerPid}, registry pid ${registryPid}) is using this data folder; stop it first or set DATA_DIR to another folder`,
    );
    this.name = 'DataFolderInUseError';
  }
}

export interface StopOrphanOptions {
  readonly pidFile: string;
  /** The config this data folder's registry is started with: a process is ours only when it serves exactly this file. */
  readonly configPath: string;
  /** The registry binary the runner spawns (argv[0] of its process). */
  readonly binary: string;
  readonly graceMs?: number;
}

/**
 * Stops the docker-registry a killed runner left behind on this data folder. A process is taken for
 * ours only when all of these hold, read from /proc: it is the pid recorded, it runs
 * `<binary> serve <configPath>` (this folder's config), and its parent is no longer the runner recorded.
 * Anything else is never signalled. Throws {@link DataFolderInUseError} when the recorded runner is
 * still its parent.
 */
export async function stopOrphanedRegistry(options: StopOrphanOptions): Promise<OrphanOutcome> {
  const { pidFile, configPath, binary, graceMs = 5_000 } = options;
  const record = await readRecord(pidFile);
  if (record === undefined) return { kind: 'none' };
  const pid = record.registryPid;
  const found = await readProcess(pid);
  if (found === undefined || !isServing(found.argv, binary, configPath)) {
    await removeRegistryPidFile(pidFile);
    return { kind: 'stale', pid };
  }
  if (found.ppid === record.runnerPid) throw new DataFolderInUseError(record.runnerPid, pid);
  let how: 'SIGTERM' | 'SIGKILL' = 'SIGTERM';
  signal(pid, 'SIGTERM');
  if (!(await waitUntilGone(pid, graceMs))) {
    how = 'SIGKILL';
    signal(pid, 'SIGKILL');
    await waitUntilGone(pid, graceMs);
  }
  await removeRegistryPidFile(pidFile);
  return { kind: 'stopped', pid, how };
}

async function readRecord(path: string): Promise<RegistryPidRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { registryPid, runnerPid } = JSON.parse(text) as Partial<RegistryPidRecord>;
    if (isPid(registryPid) && isPid(runnerPid)) return { registryPid, runnerPid };
  } catch {
    // Unreadable: as good as no record (it names nothing that could be signalled).
  }
  return undefined;
}

function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 1;
}

/** argv and parent of a live process, from /proc; undefined when it is gone, a zombie, or /proc says nothing. */
async function readProcess(pid: number): Promise<{ argv: string[]; ppid: number } | undefined> {
  try {
    const [cmdline, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
    const [state, ppid] = procStatFields(stat, 3, 4);
    if (state === 'Z') return undefined;
    return { argv: cmdline.split('\0').filter((arg) => arg !== ''), ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** `<binary> serve <configPath>`, exactly as startRegistryProcess spawns it. */
function isServing(argv: readonly string[], binary: string, configPath: string): boolean {
  return argv.length === 3 && argv[0] === binary && argv[1] === 'serve' && argv[2] === configPath;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await readProcess(pid)) === undefined) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return (await readProcess(pid)) === undefined;
}
