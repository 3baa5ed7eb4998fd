import { describe, expect, it } from 'vitest';
import { hasCompileCache } from '../../bench/bundles.ts';

describe('hasCompileCache', () => {
  it.each([
    ['v22.23.5', true],
    ['v22.1.0', true],
    ['v22.0.0', false],
    ['v20.20.2', false],
    ['v24.1.0', true],
  ])('for node %s is %s', (version, expected) => {
    expect(hasCompileCache({ version })).toBe(expected);
  });
});
