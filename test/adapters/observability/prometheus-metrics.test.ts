import { describe, expect, it } from 'vitest';
import { PrometheusMetrics, prometheusName } from '../../../src/adapters/observability/prometheus-metrics.ts';
import { Counters, Timings } from '../../../src/core/metrics.ts';

describe('prometheusName', () => {
  it.each([
    [Counters.versionsPublished, 'manifest_assembler_versions_published_total'],
    [Counters.dynamoDbCallErrors, 'manifest_assembler_dynamo_db_call_errors_total'],
    [Timings.firstPushToPublish, 'manifest_assembler_first_push_to_publish_seconds'],
    [Timings.eventAge, 'manifest_assembler_event_age_seconds'],
  ])('%s → %s', (name, want) => {
    expect(prometheusName(name)).toBe(want);
  });
});

describe('PrometheusMetrics', () => {
  it('lists every counter and histogram at zero before anything happened', () => {
    const text = new PrometheusMetrics().render();
    for (const name of Object.values(Counters)) expect(text).toContain(`\n${prometheusName(name)} 0\n`);
    for (const name of Object.values(Timings)) expect(text).toContain(`${prometheusName(name)}_count 0\n`);
  });

  it('renders counters and cumulative histogram buckets in the text format', () => {
    const metrics = new PrometheusMetrics();
    metrics.count(Counters.versionsPublished);
    metrics.count(Counters.versionsPublished, 2);
    metrics.observe(Timings.lastPushToPublish, 0.7);
    metrics.observe(Timings.lastPushToPublish, 45);
    metrics.observe(Timings.lastPushToPublish, Number.NaN);
    const text = metrics.render();
    expect(text).toContain('# TYPE manifest_assembler_versions_published_total counter\nmanifest_assembler_versions_published_total 3\n');
    const histogram = 'manifest_assembler_last_push_to_publish_seconds';
    expect(text).toContain(`# TYPE ${histogram} histogram\n`);
    expect(text).toContain(`${histogram}_bucket{le="0.5"} 0\n`);
    expect(text).toContain(`${histogram}_bucket{le="1"} 1\n`);
    expect(text).toContain(`${histogram}_bucket{le="30"} 1\n`);
    expect(text).toContain(`${histogram}_bucket{le="60"} 2\n`);
    expect(text).toContain(`${histogram}_bucket{le="+Inf"} 2\n${histogram}_sum 45.7\n${histogram}_count 2\n`);
    // Every line is a comment or `name{labels} value`, as scrapers expect.
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \S+ .+|[a-z_]+(\{le="[^"]+"\})? [0-9.e+-]+)$/);
  });
});
