import { describe, expect, it } from 'vitest';
import type { BundleFigures } from '../../bench/bundles.ts';
import { bundleRunSection, compileCachedLine, instructionLine, pageFaultLine } from '../../bench/report.ts';

const figures = (name: string, compileCached?: BundleFigures['compileCached'], overFloorPageFaults?: number): BundleFigures => ({
  name,
  bytes: 1,
  gzipBytes: 1,
  totalBytes: 1,
  initP50Ms: 100,
  initP90Ms: 110,
  initCpuP50Ms: 120,
  pageFaultsP50: 2540 + (overFloorPageFaults ?? 0),
  ...(overFloorPageFaults === undefined ? {} : { overFloorPageFaults }),
  gcsDuringImport: { minor: { fewest: 3, most: 3 }, major: { fewest: 0, most: 0 } },
  ...(compileCached === undefined ? {} : { compileCached }),
});

describe('compileCachedLine', () => {
  it('gives the floor its init and each function its median and interval over the floor, with a cache each', () => {
    const line = compileCachedLine([
      figures('sdk-only floor', { initP50Ms: 88.74 }),
      figures('on-image-push', { initP50Ms: 90.1, overFloorP50Ms: 1.44, overFloorIntervalMs: { low: -0.26, high: 2.5 } }),
      figures('api', { initP50Ms: 89, overFloorP50Ms: 0.9 }),
    ]);
    expect(line).toContain("the floor's init p50 88.7 ms");
    expect(line).toContain('over the floor, on-image-push +1.4 ms [−0.3, +2.5], api +0.9 ms.');
  });

  it('prints a median that rounds to zero as +0.0, never −0.0', () => {
    const line = compileCachedLine([
      figures('sdk-only floor', { initP50Ms: 90 }),
      figures('reconcile', { initP50Ms: 90, overFloorP50Ms: -0.04 }),
    ]);
    expect(line).toContain('over the floor, reconcile +0.0 ms.');
  });

  it('is undefined where the node had no compile cache to time', () => {
    expect(compileCachedLine([figures('sdk-only floor'), figures('on-image-push')])).toBeUndefined();
  });
});

describe('pageFaultLine', () => {
  it("prices each function's faults over the floor at the host's cost per fault", () => {
    const line = pageFaultLine([figures('sdk-only floor'), figures('on-image-push', undefined, 429), figures('api', undefined, -38)], 11.9);
    expect(line).toContain("this host's 11.9 µs a fault");
    expect(line).toContain('on-image-push +429 (≈ +5.1 ms), api −38 (≈ −0.5 ms).');
  });

  it('prints a difference that rounds to no fault as +0, never −0, and a function without the figure as —', () => {
    const line = pageFaultLine([figures('sdk-only floor'), figures('on-image-push', undefined, -0.4), figures('api')], 11.9);
    expect(line).toContain('on-image-push +0 (≈ +0.0 ms), api —.');
  });

  it('is undefined when the host did not let its cost per fault be measured', () => {
    expect(pageFaultLine([figures('sdk-only floor'), figures('on-image-push', undefined, 429)], NaN)).toBeUndefined();
  });
});

describe('bundleRunSection', () => {
  it('gives each bundle its page faults in the table, over the floor for the functions, and prices them below it', () => {
    const section = bundleRunSection(
      {
        role: 'the test',
        node: 'v22.0.0',
        flags: ['--expose-gc'],
        bundles: [figures('sdk-only floor'), figures('on-image-push', undefined, 1_250)],
      },
      10,
    );
    expect(section).toContain('| sdk-only floor | 0.0 KB | 0 KB | 0 KB | 100.0 ms | 110.0 ms | 120.0 ms | 2,540 | 3 / 0 | — |');
    expect(section).toContain('| 3,790 (+1,250) | 3 / 0 |');
    expect(section).toContain('on-image-push +1,250 (≈ +12.5 ms)');
  });
});

describe('instructionLine', () => {
  it("gives the floor's import instructions and each function's over them, in millions and as a share of the floor's, with their counts' spread", () => {
    const line = instructionLine([
      { ...figures('sdk-only floor'), importInstructions: { median: 140_000_000, spread: 2_300_000 } },
      { ...figures('on-image-push'), importInstructions: { median: 150_500_000, spread: 40_000 } },
      { ...figures('api'), importInstructions: { median: 139_930_000, spread: 0 } },
    ]);
    expect(line).toContain('the median of 3 processes');
    expect(line).toContain(
      'the floor 140.0 M (its counts within 2.3 M); over it, on-image-push +10.5 M (+7.5 %; its counts within 0.0 M), api −0.1 M (−0.1 %; its counts within 0.0 M).',
    );
  });

  it('says how to count them when valgrind was not there to', () => {
    expect(instructionLine([figures('sdk-only floor'), figures('on-image-push')])).toContain('not counted, valgrind is not installed');
  });
});
