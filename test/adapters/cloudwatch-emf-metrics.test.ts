import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloudWatchEmfMetrics, METRICS_NAMESPACE } from '../../src/adapters/cloudwatch-emf-metrics.ts';
import { Counters, Timings } from '../../src/core/metrics.ts';

// biome-ignore lint/suspicious/noExplicitAny: an EMF line read by path (`_aws.CloudWatchMetrics[0]`); the assertions check its shape.
type EmfLine = Record<string, any>;

/** The EMF lines Powertools writes to stdout during `run`. */
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
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as EmfLine);
}

describe('CloudWatchEmfMetrics', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('writes one EMF line per flush with the core names, Count and Seconds units, under the namespace', () => {
    vi.stubEnv('POWERTOOLS_DEV', '');
    const metrics = new CloudWatchEmfMetrics({ serviceName: 'manifest-assembler-test' });
    const [line, ...more] = emfLines(() => {
      metrics.count(Counters.versionsPublished);
      metrics.count(Counters.versionsInConflict);
      metrics.observe(Timings.firstPushToPublish, 62);
      metrics.observe(Timings.firstPushToPublish, 3);
      metrics.flush();
    });
    expect(more).toEqual([]);
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
    expect(line).toMatchObject({ service: 'manifest-assembler-test', VersionsPublished: 1, VersionsInConflict: 1, FirstPushToPublishSeconds: [62, 3] });
  });

  it('writes nothing, and warns about nothing, when an invocation measured nothing', () => {
    // Powertools writes its "no metrics to publish" warning to stderr through its own Console.
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
});
