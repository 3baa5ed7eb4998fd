import { spawnSync } from 'node:child_process';
import { statFields } from './process-cpu.ts';

/**
 * Two costs of the host that move the bench's ratios between runs of the same code, measured at the
 * start of every run so that RESULTS.md can be compared with another day's:
 *
 * - a **page fault** (the first touch of a fresh page of memory): on this VM it cost 12 µs on one
 *   day, and a process start or a module import takes thousands of them, so it moves the anchors'
 *   commands (several processes per version) and the functions' init over the floor (a few hundred
 *   more faults than the floor's import) in opposite directions;
 * - a **process start** (`/bin/true` forked by `sh` and waited for, as the anchors' merge jobs start
 *   their commands), the floor of every docker and buildah command they run.
 */
export interface HostCosts {
  readonly pageFaultMicros: number;
  readonly processStartMs: number;
}

const PAGE = 4096;
const FAULT_PAGES = 16_384; // 64 MiB, touched once
const PROCESS_STARTS = 40;

export function measureHostCosts(): HostCosts {
  return { pageFaultMicros: pageFaultMicros(), processStartMs: processStartMs() };
}

export function formatHostCosts(costs: HostCosts): string {
  const fault = Number.isNaN(costs.pageFaultMicros)
    ? 'a page fault not measured (the test buffer did not fault page by page: transparent huge pages?)'
    : `a page fault ${costs.pageFaultMicros.toFixed(1)} µs`;
  return `${fault}, a process start (\`/bin/true\` from \`sh\`) ${costs.processStartMs.toFixed(1)} ms`;
}

/**
 * Touches one byte of every page of a buffer the allocator has just mapped (allocUnsafeSlow: not
 * filled, so not touched yet), best of three: each touch is one minor fault, which the process's
 * own fault count confirms. NaN when it does not (a kernel that backs the buffer with transparent
 * huge pages, `always` in /sys/kernel/mm/transparent_hugepage/enabled, faults once per 2 MiB).
 */
function pageFaultMicros(): number {
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt++) {
    const buffer = Buffer.allocUnsafeSlow(FAULT_PAGES * PAGE);
    const faultsBefore = minorFaults();
    const started = performance.now();
    for (let offset = 0; offset < buffer.length; offset += PAGE) buffer[offset] = 1;
    const micros = (performance.now() - started) * 1000;
    const faults = minorFaults() - faultsBefore;
    if (faults < FAULT_PAGES * 0.9) return NaN;
    best = Math.min(best, micros / faults);
  }
  return best;
}

/** One `sh` running `/bin/true` PROCESS_STARTS times, minus the same `sh` running none. */
function processStartMs(): number {
  const shellMs = (starts: number): number => {
    const started = performance.now();
    const result = spawnSync('sh', ['-c', `i=0; while [ $i -lt ${starts} ]; do /bin/true; i=$((i + 1)); done`]);
    if (result.status !== 0) throw new Error(`sh running /bin/true exited with ${result.status ?? result.signal}: ${result.stderr}`);
    return performance.now() - started;
  };
  return (shellMs(PROCESS_STARTS) - shellMs(0)) / PROCESS_STARTS;
}

/** minflt, field 10 of /proc/self/stat. */
function minorFaults(): number {
  const [minflt] = statFields('self', 10);
  return Number(minflt);
}
