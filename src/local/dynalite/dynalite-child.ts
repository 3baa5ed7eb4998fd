// The dynalite child process of the local stack (started by ./dynalite-process.ts, never by hand):
// dynalite on an ephemeral port of 127.0.0.1, persisted in the LevelDB folder given as its argument.
// It tells its parent the port over the IPC channel, and stops, finishing the requests in flight,
// on SIGTERM or as soon as that channel closes (the parent stopped, or was killed with SIGKILL), so
// no dynalite outlives its runner holding the folder's LevelDB lock.
import { describeError } from '../../core/errors.ts';
import type { DynaliteChildMessage } from './dynalite-process.ts';
import { type RunningDynalite, startDynalite } from './dynalite-server.ts';
import { waitForLevelDbUnlocked } from './leveldb-lock.ts';

/** After this, a stop that is still waiting (a request that never ends) exits anyway. */
const STOP_TIMEOUT_MS = 10_000;

const path = process.argv[2];
const send = process.send?.bind(process);
if (path === undefined || send === undefined) {
  process.stderr.write('dynalite-child: run by the local stack only (needs the LevelDB folder as its argument and an IPC channel)\n');
  process.exit(2);
}

let running: Promise<RunningDynalite> | undefined;
let stopping = false;

/** Stops dynalite (requests in flight finish first, see startDynalite) and exits. */
async function stopAndExit(): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => {
    process.stderr.write(`dynalite-child: still stopping after ${STOP_TIMEOUT_MS} ms; exiting anyway\n`);
    process.exit(1);
  }, STOP_TIMEOUT_MS).unref();
  try {
    await (await running)?.stop();
    process.exit(0);
  } catch (error) {
    process.stderr.write(`dynalite-child: stopping failed: ${describeError(error)}\n`);
    process.exit(1);
  }
}

process.on('SIGTERM', () => void stopAndExit());
process.on('disconnect', () => void stopAndExit());
// Ctrl-C in a terminal signals the whole process group; the runner stops its handlers first and
// then this process, which they need until then.
process.on('SIGINT', () => {});

try {
  // A runner killed with SIGKILL a moment ago may have a child still closing this folder.
  await waitForLevelDbUnlocked(path);
  running = startDynalite(path);
  const { endpoint } = await running;
  if (!stopping) send({ kind: 'listening', port: Number(new URL(endpoint).port) } satisfies DynaliteChildMessage);
} catch (error) {
  process.stderr.write(`dynalite-child: cannot start on ${path}: ${describeError(error)}\n`);
  process.exit(1);
}
