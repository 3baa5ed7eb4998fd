import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux architecture node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN once it is
 * gone. With `children`, what its children that it waited for used instead (cutime + cstime: the
 * docker and buildah commands the load generator runs).
 */
export function processCpuMs(pid: number | 'self', of: 'process' | 'children' = 'process'): number {
  try {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime and cstime are fields 14 to 17 of the whole line, in clock ticks.
    const [user, system] = of === 'process' ? [fields[11], fields[12]] : [fields[13], fields[14]];
    return ((Number(user) + Number(system)) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
