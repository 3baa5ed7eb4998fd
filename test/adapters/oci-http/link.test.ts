import { describe, expect, it } from 'vitest';
import { nextPageLink } from '../../../src/adapters/oci-http/link.ts';

describe('nextPageLink', () => {
  const cases: Array<{ name: string; input: string | null; want: string | undefined }> = [
    { name: 'the spec example', input: '</v2/app/tags/list?n=2&last=b>; rel="next"', want: '/v2/app/tags/list?n=2&last=b' },
    { name: 'an unquoted rel', input: '</v2/app/tags/list?last=b>; rel=next', want: '/v2/app/tags/list?last=b' },
    { name: 'several relations', input: '</x?last=b>; rel="prefetch next"', want: '/x?last=b' },
    { name: 'next after another link', input: '</first>; rel="first", </second>; rel="next"', want: '/second' },
    { name: 'only another relation', input: '</first>; rel="first"', want: undefined },
    { name: 'no header', input: null, want: undefined },
  ];
  it.each(cases)('reads $name', ({ input, want }) => {
    expect(nextPageLink(input)).toBe(want);
  });
});
