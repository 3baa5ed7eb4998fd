import { describe, expect, it } from 'vitest';
import { instructionRefs } from '../../bench/import-instructions.ts';

describe('instructionRefs', () => {
  it("reads the total of cachegrind's summary", () => {
    const stderr = '==11924== Cachegrind, a high-precision tracing profiler\n==11924== \n==11924== I   refs:      489,326,072\n';
    expect(instructionRefs(stderr)).toBe(489_326_072);
  });

  it('fails, quoting the output, when there is no total in it', () => {
    expect(() => instructionRefs('valgrind: failed to start tool')).toThrow(/no instruction count in valgrind's output: valgrind: failed/);
  });
});
