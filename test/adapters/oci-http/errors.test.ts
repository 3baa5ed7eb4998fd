import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/adapters/oci-http/errors.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-27T10:00:00Z');
  const cases: Array<{ name: string; input: string | null; want: number | undefined }> = [
    { name: 'delta seconds', input: '7', want: 7 },
    { name: 'an HTTP date 30 s ahead', input: 'Fri, 27 Nov 2026 10:00:30 GMT', want: 30 },
    { name: 'an HTTP date in the past', input: 'Fri, 27 Nov 2026 09:00:00 GMT', want: 0 },
    { name: 'garbage', input: 'soon', want: undefined },
    { name: 'no header', input: null, want: undefined },
  ];
  it.each(cases)('reads $name', ({ input, want }) => {
    expect(parseRetryAfter(input, now)).toBe(want);
  });
});
