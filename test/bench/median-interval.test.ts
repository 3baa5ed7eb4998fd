import { describe, expect, it } from 'vitest';
import { medianInterval } from '../../bench/median-interval.ts';

/** 1, 2, …, n shuffled: the k-th smallest sample is k, so an interval's bounds are its ranks. */
function ranks(n: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i + 1);
  // A fixed permutation (i ↦ 7i + 3 mod n, for n prime to 7), so the order given is not the sorted one.
  if (n % 7 === 0) throw new Error('ranks(n) needs n prime to 7');
  return values.map((_, i) => values[(i * 7 + 3) % n]!);
}

describe('medianInterval', () => {
  it('takes the ranks of the binomial tables (10 samples: 2nd and 9th; 20: 6th and 15th; 60: 22nd and 39th)', () => {
    expect(medianInterval(ranks(10))).toMatchObject({ low: 2, high: 9, confidence: 0.95 });
    expect(medianInterval(ranks(20))).toMatchObject({ low: 6, high: 15 });
    expect(medianInterval(ranks(60))).toMatchObject({ low: 22, high: 39 });
  });

  it("reports the median by the bench's percentile rule: the middle sample, the lower middle of an even count", () => {
    expect(medianInterval([5, 1, 4, 2, 3]).median).toBe(3);
    expect(medianInterval([4, 1, 3, 2]).median).toBe(2);
  });

  it('depends only on the order of the samples, not their shape', () => {
    const skewed = ranks(60).map((r) => (r > 50 ? r * 1000 : r));
    expect(medianInterval(skewed)).toMatchObject({ low: 22, high: 39 });
  });

  it('narrows as the confidence asked for falls', () => {
    const wide = medianInterval(ranks(60), 0.99);
    const narrow = medianInterval(ranks(60), 0.8);
    expect(wide.low).toBeLessThan(22);
    expect(narrow.low).toBeGreaterThan(22);
    expect(narrow.high).toBeLessThan(39);
  });

  it('gives the whole range when there are too few samples for the confidence', () => {
    expect(medianInterval([3, 1, 2, 5, 4])).toMatchObject({ median: 3, low: 1, high: 5 });
  });

  it('stays exact where 2^-n underflows a double (2,000 samples: 956th and 1,045th)', () => {
    expect(medianInterval(ranks(2_000))).toMatchObject({ low: 956, high: 1_045 });
  });

  it('refuses a confidence outside (0, 1) and gives NaN for no samples', () => {
    expect(() => medianInterval([1, 2, 3], 1)).toThrow(/confidence must be between 0 and 1, not 1/);
    expect(medianInterval([])).toMatchObject({ median: NaN, low: NaN, high: NaN });
  });
});
