import { describe, expect, it } from 'vitest';
import {
  type CounterSeries,
  readCounterSeries,
  renderCounter,
  renderCounterFamily,
} from '../../../src/adapters/observability/prometheus-counters.ts';

const METRIC = 'demo_requests_total';

describe('renderCounterFamily', () => {
  it('writes HELP and TYPE once, then one line per series with its labels in the order given', () => {
    const text = renderCounterFamily(METRIC, 'Requests, by kind.', [
      { labels: { component: 'handlers', operation: 'GetItem' }, value: 2 },
      { labels: { component: 'inbox', operation: 'PutItem' }, value: 1 },
    ]);
    expect(text).toBe(
      [
        `# HELP ${METRIC} Requests, by kind.`,
        `# TYPE ${METRIC} counter`,
        `${METRIC}{component="handlers",operation="GetItem"} 2`,
        `${METRIC}{component="inbox",operation="PutItem"} 1`,
        '',
      ].join('\n'),
    );
  });

  it('writes a series without labels as `metric value`, as an unlabelled counter is written', () => {
    const text = `# HELP ${METRIC} Requests.\n# TYPE ${METRIC} counter\n${METRIC} 4\n`;
    expect(renderCounterFamily(METRIC, 'Requests.', [{ labels: {}, value: 4 }])).toBe(text);
    expect(renderCounter(METRIC, 'Requests.', 4)).toBe(text);
  });

  it('writes only HELP and TYPE when there is no series yet', () => {
    expect(renderCounterFamily(METRIC, 'Requests.', [])).toBe(`# HELP ${METRIC} Requests.\n# TYPE ${METRIC} counter\n`);
  });

  it('escapes a backslash, a double quote and a newline in a label value, as the format requires', () => {
    expect(renderCounterFamily(METRIC, 'h', [{ labels: { path: 'a\\b"c\nd' }, value: 1 }])).toContain(
      `${METRIC}{path="a\\\\b\\"c\\nd"} 1\n`,
    );
  });
});

describe('readCounterSeries', () => {
  const series: CounterSeries[] = [
    { labels: { outcome: 'used' }, value: 5 },
    { labels: { component: 'inbox', operation: 'PutItem' }, value: 12 },
    { labels: { path: 'a\\b"c\nd' }, value: 3 },
  ];

  it('reads back every series it rendered, escaped label values included', () => {
    expect(readCounterSeries(renderCounterFamily(METRIC, 'h', series), METRIC)).toEqual(series);
  });

  it.each([
    ['another metric', 'other_total{outcome="used"} 9'],
    ['a name that only starts with the metric', `${METRIC}_bogus{outcome="used"} 9`],
    ['the metric without labels', `${METRIC} 9`],
    ['a comment naming the metric', `# HELP ${METRIC}{outcome="used"} 9`],
    ['a value that is not a number', `${METRIC}{outcome="used"} many`],
  ])('does not read %s', (_, line) => {
    const text = `${line}\n${renderCounterFamily(METRIC, 'h', series.slice(0, 1))}`;
    expect(readCounterSeries(text, METRIC)).toEqual(series.slice(0, 1));
  });

  it('reads nothing from an empty text', () => {
    expect(readCounterSeries('', METRIC)).toEqual([]);
  });

  it('takes the metric name literally, not as a pattern', () => {
    expect(readCounterSeries('demoXrequests_total{a="b"} 1\n', 'demo.requests_total')).toEqual([]);
  });
});
