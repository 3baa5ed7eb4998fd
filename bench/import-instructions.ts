import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BundleNode } from './lambda-node.ts';

/**
 * The instructions an import costs, counted by valgrind's cachegrind: a figure of the init that does
 * not move with the host, where its time does (this VM's price per page fault, other processes, the
 * CPU it lands on: a median over the floor moved by ±2 ms between runs of the same code). Node gets
 * fixed hash and random seeds, and one thread, so that V8's background compiles and collections run
 * on the main thread; `setarch -R` turns address randomisation off. A count then mostly repeats to
 * 0.1 M, but not always: the SDK floor's import on Node 22 came out at two values 2.3 M apart in
 * different processes (probably the file reads, which still finish on libuv's threads, whose timing
 * valgrind does not fix; not confirmed), so the bench takes the median of a few counts and reports
 * their spread. The seeds are V8 flags, so node rejects the code cache of its own modules, as it
 * does with Lambda's flags anyway.
 */
export const COUNTING_NODE_FLAGS = ['--hash-seed=1', '--random-seed=1', '--single-threaded'] as const;

/** How many processes each import is counted in: a count now and then lands ~2 M off the others. */
export const INSTRUCTION_COUNTS = 3;

const VALGRIND = '/usr/bin/valgrind';
// util-linux, an essential package of Debian: always there.
const SETARCH = '/usr/bin/setarch';

/** Whether instructions can be counted here: valgrind is Debian's package of that name (`npm run bench` installs it when root). */
export function canCountInstructions(): boolean {
  return existsSync(VALGRIND);
}

/**
 * Instructions of a whole node process started as `node` is (its flags, then the counting flags) that
 * imports `file`, or imports nothing when `file` is undefined: the difference of the two is the
 * import's.
 */
export function processInstructions(node: BundleNode, file: string | undefined, env: Record<string, string>): number {
  const script = file === undefined ? '' : `await import(${JSON.stringify(`file://${file}`)});`;
  const result = spawnSync(
    SETARCH,
    [
      '-R',
      VALGRIND,
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      node.path,
      ...node.flags,
      ...COUNTING_NODE_FLAGS,
      '--input-type=module',
      '-e',
      script,
    ],
    { env, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`counting the instructions of ${file ?? 'an empty module'} failed: ${result.stderr}`);
  return instructionRefs(result.stderr);
}

/** The `I refs` total of cachegrind's summary (`==123== I   refs:      489,326,072`). */
export function instructionRefs(valgrindStderr: string): number {
  const match = /I\s+refs:\s+([\d,]+)/.exec(valgrindStderr);
  if (match?.[1] === undefined) throw new Error(`no instruction count in valgrind's output: ${valgrindStderr.slice(-500)}`);
  return Number(match[1].replaceAll(',', ''));
}
