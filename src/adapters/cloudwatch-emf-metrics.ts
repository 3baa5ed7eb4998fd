import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CounterName, Metrics, TimingName } from '../core/metrics.ts';

/** The CloudWatch namespace every metric is published under (the alarms in infra/alarms.yml read it). */
export const METRICS_NAMESPACE = 'ManifestAssembler';

/**
 * The Metrics port as CloudWatch embedded metric format, through Powertools: each call buffers a
 * value, and {@link flush} (once per invocation, from the handlers' middleware) writes one EMF JSON
 * line to stdout, which CloudWatch Logs turns into metrics without a PutMetricData call or its
 * IAM permission. Dimension: `service` only, so an alarm needs no per-repository series.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export class CloudWatchEmfMetrics implements Metrics {
  readonly #metrics: PowertoolsMetrics;

  constructor(options: { serviceName?: string; metrics?: PowertoolsMetrics } = {}) {
    this.#metrics = options.metrics ?? new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName: options.serviceName ?? 'manifest-assembler' });
  }

  count(name: CounterName, value = 1): void {
    this.#metrics.addMetric(name, MetricUnit.Count, value);
  }

  observe(name: TimingName, seconds: number): void {
    if (Number.isFinite(seconds)) this.#metrics.addMetric(name, MetricUnit.Seconds, seconds);
  }

  /** Writes what this invocation measured; nothing (not even Powertools' "no metrics" warning) when it measured nothing. */
  flush(): void {
    if (this.#metrics.hasStoredMetrics()) this.#metrics.publishStoredMetrics();
  }
}
