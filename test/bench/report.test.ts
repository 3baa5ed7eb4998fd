import { describe, expect, it } from 'vitest';
import type { BundleFigures } from '../../bench/bundles.ts';
import { compileCachedLine } from '../../bench/report.ts';

const figures = (name: string, compileCached?: BundleFigures['compileCached']): BundleFigures => ({
  name,
  bytes: 1,
  gzipBytes: 1,
  totalBytes: 1,
  initP50Ms: 100,
  initP90Ms: 110,
  initCpuP50Ms: 120,
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

  it('is undefined where the node had no compile cache to time', () => {
    expect(compileCachedLine([figures('sdk-only floor'), figures('on-image-push')])).toBeUndefined();
  });
});
