import { cpus, freemem, totalmem, type } from 'node:os';

export interface Timing {
  readonly name: string;
  readonly runs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

/** Runs `fn` `warmup` times, then `runs` times, and summarises the wall-clock durations. */
export async function measure(
  name: string,
  runs: number,
  fn: () => unknown | Promise<unknown>,
  warmup = Math.min(10, runs),
): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return summarise(name, samples);
}

export function summarise(name: string, samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sortedPercentile(sorted, q);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { name, runs: sorted.length, meanMs: mean, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted[sorted.length - 1] ?? NaN };
}

/**
 * The `q` percentile of `samples` by the nearest rank: the ⌈q·n⌉-th smallest (p99 of 100 samples is
 * the 99th, the median of an even count the lower of the two middle samples). NaN without samples.
 * Every percentile the bench reports is taken by this one rule.
 */
export function percentile(samples: readonly number[], q: number): number {
  return sortedPercentile(
    [...samples].sort((a, b) => a - b),
    q,
  );
}

/** {@link percentile} of samples already sorted in ascending order, without sorting them again. */
export function sortedPercentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

export function machine(): string {
  const cpu = cpus();
  return `${type()} ${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free), Node ${process.version}`;
}

export function timingTable(timings: readonly Timing[]): string {
  const fmt = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
  const rows = timings.map((t) => `| ${t.name} | ${t.runs} | ${fmt(t.meanMs)} | ${fmt(t.p50Ms)} | ${fmt(t.p95Ms)} | ${fmt(t.maxMs)} |`);
  return ['| what | runs | mean | p50 | p95 | max |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}
