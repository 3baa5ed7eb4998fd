import { describe, expect, it } from 'vitest';
import { hasBearerToken } from '../../../src/local/http/bearer-auth.ts';

describe('hasBearerToken', () => {
  const cases: Array<{ name: string; header: string | undefined; expected?: string; want: boolean }> = [
    { name: 'the right token', header: 'Bearer s3cret', want: true },
    { name: 'a lower-case scheme', header: 'bearer s3cret', want: true },
    { name: 'trailing spaces', header: 'Bearer s3cret  ', want: true },
    { name: 'no header', header: undefined, want: false },
    { name: 'a wrong token', header: 'Bearer s3cre', want: false },
    { name: 'a longer token', header: 'Bearer s3crett', want: false },
    { name: 'another scheme', header: 'Basic s3cret', want: false },
    { name: 'the bare token', header: 's3cret', want: false },
    { name: 'an empty token', header: 'Bearer ', want: false },
    { name: 'two tokens', header: 'Bearer s3cret s3cret', want: false },
    { name: 'any token when none is expected', header: 'Bearer x', expected: '', want: false },
  ];
  for (const { name, header, expected = 's3cret', want } of cases) {
    it(`${want ? 'accepts' : 'refuses'} ${name}`, () => {
      expect(hasBearerToken(header === undefined ? {} : { authorization: header }, expected)).toBe(want);
    });
  }
});
