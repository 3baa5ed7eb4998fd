import { describe, expect, it, vi } from 'vitest';
import { CloudWatchEmfMetrics, METRICS_NAMESPACE } from '../../../src/adapters/observability/cloudwatch-emf-metrics.ts';
import { Counters, Timings } from '../../../src/core/metrics.ts';

// biome-ignore lint/suspicious/noExplicitAny: an EMF line read by path (`_aws.CloudWatchMetrics[0]`); the assertions check its shape.
type EmfLine = Record<string, any>;

/** The EMF lines written to stdout during `run`. */
function emfLines(run: () => void): EmfLine[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as EmfLine);
}

describe('CloudWatchEmfMetrics', () => {
  it('writes one EMF line per flush with the core names, Count and Seconds units, under the namespace', () => {
    const metrics = new CloudWatchEmfMetrics({ serviceName: 'manifest-assembler-test', now: () => 1_700_000_000_000 });
    const [line, ...more] = emfLines(() => {
      metrics.count(Counters.versionsPublished);
      metrics.count(Counters.versionsInConflict);
      metrics.observe(Timings.firstPushToPublish, 62);
      metrics.observe(Timings.firstPushToPublish, 3);
      metrics.flush();
    });
    expect(more).toEqual([]);
    expect(line?._aws?.Timestamp).toBe(1_700_000_000_000);
    const directive = line?._aws?.CloudWatchMetrics?.[0];
    expect(directive.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive.Dimensions).toEqual([['service']]);
    expect(directive.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'VersionsPublished', Unit: 'Count' },
        { Name: 'VersionsInConflict', Unit: 'Count' },
        { Name: 'FirstPushToPublishSeconds', Unit: 'Seconds' },
      ]),
    );
    expect(line).toMatchObject({
      service: 'manifest-assembler-test',
      VersionsPublished: 1,
      VersionsInConflict: 1,
      FirstPushToPublishSeconds: [62, 3],
    });
  });

  it('writes nothing, and warns about nothing, when an invocation measured nothing', () => {
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const metrics = new CloudWatchEmfMetrics();
    try {
      expect(emfLines(() => metrics.flush())).toEqual([]);
    } finally {
      stderr.mockRestore();
    }
    expect(written).toEqual([]);
  });

  it('flushes early when a metric reaches the 100 values one EMF line may carry, and buffers afresh after', () => {
    const lines: string[] = [];
    const metrics = new CloudWatchEmfMetrics({ write: (line) => lines.push(line) });
    for (let i = 0; i < 101; i++) metrics.observe(Timings.lastPushToPublish, i);
    metrics.count(Counters.versionsPublished);
    expect(lines).toHaveLength(1);
    metrics.flush();
    const [first, second] = lines.map((line) => JSON.parse(line) as EmfLine);
    expect(first?.LastPushToPublishSeconds).toHaveLength(100);
    expect(second).toMatchObject({ LastPushToPublishSeconds: 100, VersionsPublished: 1 });
    expect(second?._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'LastPushToPublishSeconds', Unit: 'Seconds' },
      { Name: 'VersionsPublished', Unit: 'Count' },
    ]);
  });

  it('drops a value that is not a finite number (EMF has none; JSON would write null)', () => {
    const lines: string[] = [];
    const metrics = new CloudWatchEmfMetrics({ write: (line) => lines.push(line) });
    metrics.observe(Timings.eventAge, Number.NaN);
    metrics.observe(Timings.eventAge, Number.POSITIVE_INFINITY);
    metrics.flush();
    expect(lines).toEqual([]);
  });
});
