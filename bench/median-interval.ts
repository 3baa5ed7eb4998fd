import { sortedPercentile } from './harness.ts';

/**
 * A distribution-free confidence interval for the median of `samples`, from their order statistics:
 * with n samples sorted, [x(k), x(n−k+1)] holds the true median with probability at least
 * `confidence` for the largest k with P(B < k) ≤ (1 − confidence) / 2, B ~ Binomial(n, ½)
 * (each sample falls below the median with probability ½, whatever the distribution). It assumes
 * nothing about the shape of the samples, which for imports on a shared VM is long-tailed, and it is
 * deterministic (no resampling). With too few samples for any k ≥ 1 the interval is the whole range.
 *
 * The median itself is taken by the bench's one percentile rule, the nearest rank
 * (harness.ts's `percentile`: the lower middle sample of an even count).
 */
export interface MedianInterval {
  readonly median: number;
  readonly low: number;
  readonly high: number;
  /** The confidence the interval was asked for, for the report's wording. */
  readonly confidence: number;
}

export function medianInterval(samples: readonly number[], confidence = 0.95): MedianInterval {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, not ${confidence}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, low: NaN, high: NaN, confidence };
  const k = lowerRank(n, (1 - confidence) / 2);
  return {
    median: sortedPercentile(sorted, 0.5),
    low: sorted[k - 1]!,
    high: sorted[n - k]!,
    confidence,
  };
}

/** The largest rank k ≥ 1 (1-based) with P(B ≤ k − 1) ≤ tail for B ~ Binomial(n, ½); 1 when none is. */
function lowerRank(n: number, tail: number): number {
  // Summed in log space: 2^−n underflows a double for n > 1074.
  let logTerm = -n * Math.LN2; // log P(B = 0)
  let cumulative = 0;
  let k = 1;
  for (let i = 0; i < Math.floor(n / 2); i++) {
    cumulative += Math.exp(logTerm); // P(B ≤ i)
    if (cumulative > tail) break;
    k = i + 1; // P(B ≤ k − 1) ≤ tail
    logTerm += Math.log((n - i) / (i + 1)); // log P(B = i + 1)
  }
  return k;
}
