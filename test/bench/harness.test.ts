import { describe, expect, it } from 'vitest';
import { percentile, summarise } from '../../bench/harness.ts';

describe('percentile', () => {
  const tenSamples = [7, 3, 10, 1, 9, 2, 8, 4, 6, 5];
  it.each([
    { name: 'the median of an even count is the lower middle sample', samples: tenSamples, q: 0.5, want: 5 },
    { name: 'the median of an odd count is the middle sample', samples: [5, 1, 3], q: 0.5, want: 3 },
    { name: 'q = 0 is the smallest', samples: tenSamples, q: 0, want: 1 },
    { name: 'p90 of ten is the 9th smallest', samples: tenSamples, q: 0.9, want: 9 },
    { name: 'p85 of ten is the 9th smallest (rank ⌈8.5⌉)', samples: tenSamples, q: 0.85, want: 9 },
    { name: 'q = 1 is the largest', samples: tenSamples, q: 1, want: 10 },
    { name: 'p99 of 100 samples is the 99th', samples: Array.from({ length: 100 }, (_, i) => 100 - i), q: 0.99, want: 99 },
    { name: 'no samples give NaN', samples: [], q: 0.5, want: Number.NaN },
  ])('$name', ({ samples, q, want }) => {
    expect(percentile(samples, q)).toBe(want);
  });

  it('leaves its input unsorted', () => {
    const samples = [3, 1, 2];
    percentile(samples, 0.5);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('is the rule summarise takes its p50 and p95 by', () => {
    const samples = Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
    const timing = summarise('x', samples);
    expect([timing.p50Ms, timing.p95Ms]).toEqual([percentile(samples, 0.5), percentile(samples, 0.95)]);
    expect([timing.p50Ms, timing.p95Ms]).toEqual([19, 37]);
  });
});
