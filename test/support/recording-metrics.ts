import type { CounterName, Metrics, TimingName } from '../../src/core/metrics.ts';

/** A Metrics port that keeps every call, for asserting what a use case measured. */
export class RecordingMetrics implements Metrics {
  readonly counts: Array<{ name: CounterName; value: number }> = [];
  readonly observations: Array<{ name: TimingName; seconds: number }> = [];

  count(name: CounterName, value = 1): void {
    this.counts.push({ name, value });
  }

  observe(name: TimingName, seconds: number): void {
    this.observations.push({ name, seconds });
  }

  /** The sum of a counter. */
  total(name: CounterName): number {
    return this.counts.filter((c) => c.name === name).reduce((sum, c) => sum + c.value, 0);
  }
}
