import { readFileSync } from 'node:fs';
import { procStatFields } from '../src/local/proc-stat.ts';

/** USER_HZ: 100 on every Linux architecture node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN once it is
 * gone. With `children`, what its children that it waited for used instead (cutime + cstime: the
 * docker and buildah commands the load generator runs).
 */
export function processCpuMs(pid: number | 'self', of: 'process' | 'children' = 'process'): number {
  try {
    // utime, stime, cutime and cstime are fields 14 to 17 of the whole line, in clock ticks.
    const [user, system] = of === 'process' ? statFields(pid, 14, 15) : statFields(pid, 16, 17);
    return ((Number(user) + Number(system)) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Fields `numbers` (1-based, as proc(5) numbers them, 3 or later) of /proc/<pid>/stat, from one read
 * of it, so that they are of one moment. Throws when the process is gone.
 */
export function statFields(pid: number | 'self', ...numbers: number[]): (string | undefined)[] {
  return procStatFields(readFileSync(`/proc/${pid}/stat`, 'utf8'), ...numbers);
}
