import { readFileSync } from 'node:fs';

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
