import { type CounterName, Counters, type Metrics, type TimingName, Timings } from '../../core/metrics.ts';
import { renderCounter } from './prometheus-counters.ts';

/** Seconds: from a push that completes a version at once to a version that waited a day for its last platform. */
const BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400] as const;

const HELP: Readonly<Record<CounterName | TimingName, string>> = {
  [Counters.versionsPublished]: 'Versions published (or republished) with every required platform.',
  [Counters.versionsPartiallyPublished]: 'Versions published while required platforms were missing.',
  [Counters.versionsStale]: 'Reconcile passes that found a version waiting past its staleAfter.',
  [Counters.versionsInConflict]: 'Conflicts recorded.',
  [Counters.versionsFailed]: 'Publishes that failed (and will be retried).',
  [Counters.registryCallErrors]: 'Registry calls that threw.',
  [Counters.dynamoDbCallErrors]: 'DynamoDB calls that threw.',
  [Timings.firstPushToPublish]: 'Seconds from the first push of a version to its publish.',
  [Timings.lastPushToPublish]: 'Seconds from the last push of a version to its publish.',
  [Timings.eventAge]: 'Age in seconds of a push event when it reached on-image-push.',
};

/** `VersionsPublished` → `manifest_assembler_versions_published_total`; `EventAgeSeconds` → `manifest_assembler_event_age_seconds`. */
export function prometheusName(name: CounterName | TimingName): string {
  const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return `manifest_assembler_${snake}${(Object.values(Counters) as string[]).includes(name) ? '_total' : ''}`;
}

interface Histogram {
  readonly buckets: number[];
  sum: number;
  count: number;
}

/**
 * The Metrics port in memory, rendered in the Prometheus text exposition format (version 0.0.4) for
 * the local runner's `GET /metrics`. Counters and histograms only, every one listed from the start
 * (at zero), so a scrape sees the same series before and after the first event.
 *
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
export class PrometheusMetrics implements Metrics {
  readonly #counters = new Map<CounterName, number>(Object.values(Counters).map((name) => [name, 0]));
  readonly #histograms = new Map<TimingName, Histogram>(
    Object.values(Timings).map((name) => [name, { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }]),
  );

  count(name: CounterName, value = 1): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + value);
  }

  observe(name: TimingName, seconds: number): void {
    const histogram = this.#histograms.get(name);
    if (histogram === undefined || !Number.isFinite(seconds)) return;
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) histogram.buckets[i] = (histogram.buckets[i] ?? 0) + 1;
    });
    histogram.sum += seconds;
    histogram.count += 1;
  }

  /** The text a Prometheus server scrapes: every counter, then every histogram, each family whole. */
  render(): string {
    const counters = [...this.#counters].map(([name, value]) => renderCounter(prometheusName(name), HELP[name], value));
    const histograms = [...this.#histograms].map(([name, histogram]) => renderHistogram(prometheusName(name), HELP[name], histogram));
    return [...counters, ...histograms].join('');
  }
}

/** A histogram family as counters write theirs: `# HELP`, `# TYPE`, its cumulative buckets, sum and count, each line ended. */
function renderHistogram(metric: string, help: string, histogram: Histogram): string {
  const lines = [`# HELP ${metric} ${help}`, `# TYPE ${metric} histogram`];
  for (const [i, bound] of BUCKETS.entries()) lines.push(`${metric}_bucket{le="${bound}"} ${histogram.buckets[i] ?? 0}`);
  lines.push(`${metric}_bucket{le="+Inf"} ${histogram.count}`, `${metric}_sum ${histogram.sum}`, `${metric}_count ${histogram.count}`);
  return `${lines.join('\n')}\n`;
}

/** The content type of {@link PrometheusMetrics.render}'s text. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
