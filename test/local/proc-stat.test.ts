import { describe, expect, it } from 'vitest';
import { procStatFields } from '../../src/local/proc-stat.ts';

describe('procStatFields', () => {
  it('numbers fields as proc(5) does, after a command name that holds spaces and parentheses', () => {
    const stat = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 913 0 0 0 25 7 0 0 20 0 1 0 123 4096 300\n';
    expect(procStatFields(stat, 3, 4, 10, 14, 15)).toEqual(['S', '17', '913', '25', '7']);
  });

  it('gives undefined for a field the line does not have', () => {
    expect(procStatFields('1 (init) S 0', 3, 4, 5)).toEqual(['S', '0', undefined]);
  });
});
