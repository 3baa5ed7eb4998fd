import { describe, expect, it } from 'vitest';
import { formatHostCosts, measureHostCosts } from '../../bench/host-costs.ts';

describe('measureHostCosts', () => {
  it('times page faults it counted itself and process starts forked by sh', () => {
    const costs = measureHostCosts();
    // It throws when touching the fresh buffer did not fault (a page fault count read wrongly), so a
    // figure at all means a fault per page was seen; a fault and a fork cost something, never nothing.
    expect(costs.pageFaultMicros).toBeGreaterThan(0);
    expect(Number.isFinite(costs.pageFaultMicros)).toBe(true);
    expect(costs.processStartMs).toBeGreaterThan(0);
    expect(Number.isFinite(costs.processStartMs)).toBe(true);
  });

  it('writes both for the report', () => {
    expect(formatHostCosts({ pageFaultMicros: 11.04, processStartMs: 2.46 })).toBe(
      'a page fault 11.0 µs, a process start (`/bin/true` from `sh`) 2.5 ms',
    );
  });
});
