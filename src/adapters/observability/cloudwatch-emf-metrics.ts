import { type CounterName, type Metrics, MetricUnits, type TimingName } from '../../core/metrics.ts';

/** The CloudWatch namespace every metric is published under (the alarms in infra/alarms.yml read it). */
export const METRICS_NAMESPACE = 'ManifestAssembler';

/** CloudWatch takes at most 100 values of one metric in one EMF line. */
const MAX_VALUES_PER_METRIC = 100;

type Unit = (typeof MetricUnits)[keyof typeof MetricUnits];

/**
 * The Metrics port as CloudWatch embedded metric format: each call buffers a value, and
 * {@link flush} (once per invocation, from the handlers' middleware) writes one EMF JSON line to
 * stdout, which CloudWatch Logs turns into metrics without a PutMetricData call or its IAM
 * permission. Dimension: `service` only, so an alarm needs no per-repository series. A metric
 * that reaches 100 values in one invocation is flushed early (the format's limit per line).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export class CloudWatchEmfMetrics implements Metrics {
  readonly #serviceName: string;
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  #buffered = new Map<string, { unit: Unit; values: number[] }>();

  constructor(options: { serviceName?: string; write?: (line: string) => void; now?: () => number } = {}) {
    this.#serviceName = options.serviceName ?? 'manifest-assembler';
    this.#write = options.write ?? ((line) => process.stdout.write(line));
    this.#now = options.now ?? Date.now;
  }

  count(name: CounterName, value = 1): void {
    this.#add(name, MetricUnits.count, value);
  }

  observe(name: TimingName, seconds: number): void {
    this.#add(name, MetricUnits.seconds, seconds);
  }

  /** Writes what this invocation measured; nothing when it measured nothing. */
  flush(): void {
    if (this.#buffered.size === 0) return;
    const metrics = [...this.#buffered];
    this.#buffered = new Map();
    const line: Record<string, unknown> = {
      _aws: {
        Timestamp: this.#now(),
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['service']],
            Metrics: metrics.map(([name, { unit }]) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      service: this.#serviceName,
    };
    for (const [name, { values }] of metrics) line[name] = values.length === 1 ? values[0] : values;
    this.#write(`${JSON.stringify(line)}\n`);
  }

  #add(name: string, unit: Unit, value: number): void {
    if (!Number.isFinite(value)) return; // EMF has no NaN or Infinity; JSON would write null
    const metric = this.#buffered.get(name) ?? { unit, values: [] };
    metric.values.push(value);
    this.#buffered.set(name, metric);
    if (metric.values.length >= MAX_VALUES_PER_METRIC) this.flush();
  }
}
