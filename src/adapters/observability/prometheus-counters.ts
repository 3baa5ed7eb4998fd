/**
 * Labelled counters in the Prometheus text exposition format (version 0.0.4), written and read back:
 * the local runner's `GET /metrics` writes them (the Metrics port's counters in {@link
 * PrometheusMetrics}, the inbox's, the DynamoDB requests by operation, the reads ahead by outcome),
 * the bench and the tests read the labelled ones back.
 *
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

/** One series of a counter: its labels and its value. */
export interface CounterSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A counter family: `# HELP` and `# TYPE` once, then one line per series, labels in the order given
 * (`metric value` for a series without labels, as an unlabelled counter is written).
 */
export function renderCounterFamily(metric: string, help: string, series: readonly CounterSeries[]): string {
  const lines = [`# HELP ${metric} ${help}`, `# TYPE ${metric} counter`];
  for (const { labels, value } of series) {
    const pairs = Object.entries(labels).map(([name, labelValue]) => `${name}="${escapeLabelValue(labelValue)}"`);
    lines.push(pairs.length === 0 ? `${metric} ${value}` : `${metric}{${pairs.join(',')}} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An unlabelled counter: its family with the one series `metric value`. */
export function renderCounter(metric: string, help: string, value: number): string {
  return renderCounterFamily(metric, help, [{ labels: {}, value }]);
}

/**
 * The labelled series of `metric` in a `/metrics` text, in the order they appear. Other metrics, and
 * names that only start with `metric` (`<metric>_bogus{…}`), are not read.
 */
export function readCounterSeries(metricsText: string, metric: string): CounterSeries[] {
  const line = new RegExp(
    `^${escapeRegExp(metric)}\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*",?)*)\\} (\\d+(?:\\.\\d+)?)$`,
    'gm',
  );
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"/g;
  return [...metricsText.matchAll(line)].map((match) => ({
    labels: Object.fromEntries(
      [...(match[1] as string).matchAll(pair)].map(([, name, value]) => [name, unescapeLabelValue(value as string)]),
    ),
    value: Number(match[2]),
  }));
}

// The format escapes exactly these three in a label value.
function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function unescapeLabelValue(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
