import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CounterSeries, readCounterSeries, renderCounterFamily } from '../observability/prometheus-counters.ts';

/** The Prometheus name of the counter, one series per DynamoDB operation. */
export const DYNAMODB_REQUESTS_METRIC = 'manifest_assembler_dynamodb_requests_total';

/**
 * Counts a DynamoDB client's commands by operation (`GetItem`, `UpdateItem`…), once per command
 * whatever the SDK's retries, for the local runner's `GET /metrics` (the bench reads it to put the
 * project's DynamoDB requests per version beside its registry requests) and for tests that hold the
 * store to its round-trip floor.
 */
export class DynamoDbRequestCounter {
  #counts = new Map<string, number>();

  /** `component` labels the series: whose client this is (`handlers`, `inbox`). */
  constructor(readonly component = 'handlers') {}

  /** Adds the counting step to `client`; every command sent after this is counted. */
  attach(client: DynamoDBClient): this {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = context.commandName?.replace(/Command$/, '') ?? 'unknown';
        this.#counts.set(operation, (this.#counts.get(operation) ?? 0) + 1);
        return next(args);
      },
      // Unnamed: the SDK refuses a second middleware of one name, and a test may count beside the runner.
      { step: 'initialize' },
    );
    return this;
  }

  /** The counts so far, by operation. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** The sum over every operation. */
  total(): number {
    let sum = 0;
    for (const n of this.#counts.values()) sum += n;
    return sum;
  }

  reset(): void {
    this.#counts = new Map();
  }

  /** The counter's series, one per operation seen, labelled with its component (rendered by {@link renderDynamoDbRequests}). */
  series(): CounterSeries[] {
    return Object.entries(this.counts()).map(([operation, value]) => ({ labels: { component: this.component, operation }, value }));
  }
}

/** Counters of several clients as one Prometheus metric (HELP and TYPE once). */
export function renderDynamoDbRequests(...counters: DynamoDbRequestCounter[]): string {
  return renderCounterFamily(
    DYNAMODB_REQUESTS_METRIC,
    'DynamoDB commands sent, by component and operation.',
    counters.flatMap((counter) => counter.series()),
  );
}

/** Reads one component's series back out of a `/metrics` text: operation → count. */
export function parseDynamoDbRequests(metricsText: string, component = 'handlers'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { labels, value } of readCounterSeries(metricsText, DYNAMODB_REQUESTS_METRIC)) {
    if (labels.component === component && labels.operation !== undefined) counts[labels.operation] = value;
  }
  return counts;
}
