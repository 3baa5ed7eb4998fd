import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatHostCosts, measureHostCosts } from '../../bench/host-costs.ts';

describe('measureHostCosts', () => {
  it('times page faults it counted itself and process starts forked by sh', () => {
    const costs = measureHostCosts();
    if (Number.isNaN(costs.pageFaultMicros)) {
      // Only where the kernel backs every large buffer with huge pages, so that it never faults page by page.
      expect(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8')).toContain('[always]');
    } else {
      expect(costs.pageFaultMicros).toBeGreaterThan(0);
      expect(Number.isFinite(costs.pageFaultMicros)).toBe(true);
    }
    expect(costs.processStartMs).toBeGreaterThan(0);
    expect(Number.isFinite(costs.processStartMs)).toBe(true);
  });

  it('writes both for the report, and says when a page fault could not be timed', () => {
    expect(formatHostCosts({ pageFaultMicros: 11.04, processStartMs: 2.46 })).toBe(
      'a page fault 11.0 µs, a process start (`/bin/true` from `sh`) 2.5 ms',
    );
    expect(formatHostCosts({ pageFaultMicros: NaN, processStartMs: 2.46 })).toMatch(
      /^a page fault not measured \(.*huge pages\?\), a process/,
    );
  });
});
