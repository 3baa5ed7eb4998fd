import { readdirSync, readFileSync } from 'node:fs';

/**
 * Reads a process's resident memory from /proc, from outside the process, every `everyMs`: the
 * peak since the last reset, the kernel's own high-water mark (VmHWM), and the current value.
 */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #peakKiB = 0;

  constructor(pid: number, everyMs = 50) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.#sample(), everyMs);
    this.#timer.unref();
    this.#sample();
  }

  resetPeak(): void {
    this.#peakKiB = 0;
    this.#sample();
  }

  /** Peak RSS seen by sampling since the last reset. */
  peakMiB(): number {
    this.#sample();
    return this.#peakKiB / 1024;
  }

  /** The kernel's record of the process's largest RSS since it started. */
  highWaterMiB(): number {
    return this.#read('VmHWM') / 1024;
  }

  currentMiB(): number {
    return this.#read('VmRSS') / 1024;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    const now = this.#read('VmRSS');
    if (Number.isFinite(now)) this.#peakKiB = Math.max(this.#peakKiB, now);
  }

  #read(field: 'VmRSS' | 'VmHWM'): number {
    try {
      const status = readFileSync(`/proc/${this.#pid}/status`, 'utf8');
      return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    } catch {
      return NaN; // the process has gone
    }
  }
}

/**
 * The child processes of `pid` whose command line contains `marker`, read from /proc (the runner
 * names no pid of its own children).
 */
export function childProcessesOf(pid: number, marker: string): number[] {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return ''; // a task or a child that has just gone
    }
  };
  const tasks = readdirSync(`/proc/${pid}/task`);
  const children = tasks.flatMap((tid) =>
    read(`/proc/${pid}/task/${tid}/children`)
      .split(/\s+/)
      .filter((text) => text !== '')
      .map(Number),
  );
  return children.filter((child) => read(`/proc/${child}/cmdline`).includes(marker));
}
