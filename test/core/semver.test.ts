import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSemver, formatSemver, isRelease, parseSemver, type Semver } from '../../src/core/semver.ts';

describe('parseSemver', () => {
  const cases: Array<{ name: string; input: string; want?: Partial<Semver> }> = [
    { name: 'a release', input: '2.7.1', want: { prefix: '', major: 2, minor: 7, patch: 1, prerelease: [], build: [] } },
    { name: 'a v prefix', input: 'v2.7.1', want: { prefix: 'v', major: 2, minor: 7, patch: 1 } },
    { name: 'zeros', input: '0.0.0', want: { major: 0, minor: 0, patch: 0 } },
    { name: 'a pre-release', input: '2.8.0-rc.1', want: { prerelease: ['rc', '1'], build: [] } },
    { name: 'a pre-release with hyphens', input: '1.0.0-x-y-z.--', want: { prerelease: ['x-y-z', '--'] } },
    { name: 'build metadata', input: '1.0.0+20130313144700', want: { prerelease: [], build: ['20130313144700'] } },
    { name: 'both', input: 'v1.0.0-beta+exp.sha.5114f85', want: { prefix: 'v', prerelease: ['beta'], build: ['exp', 'sha', '5114f85'] } },
    { name: 'a build identifier with a leading zero (allowed)', input: '1.0.0+001', want: { build: ['001'] } },
    { name: 'the largest safe number', input: `${Number.MAX_SAFE_INTEGER}.0.0`, want: { major: Number.MAX_SAFE_INTEGER } },
    { name: 'two parts', input: '2.7' },
    { name: 'four parts', input: '2.7.1.0' },
    { name: 'a word', input: 'latest' },
    { name: 'empty', input: '' },
    { name: 'a leading zero', input: '02.7.1' },
    { name: 'a leading zero in a numeric pre-release identifier', input: '1.0.0-rc.01' },
    { name: 'an empty pre-release identifier', input: '1.0.0-rc..1' },
    { name: 'an empty pre-release', input: '1.0.0-' },
    { name: 'an empty build', input: '1.0.0+' },
    { name: 'a capital V', input: 'V2.7.1' },
    { name: 'a space', input: ' 2.7.1' },
    { name: 'a number above MAX_SAFE_INTEGER', input: '9007199254740992.0.0' },
    { name: 'a pre-release number above MAX_SAFE_INTEGER', input: '1.0.0-9007199254740992' },
    { name: 'an underscore', input: '1.0.0-rc_1' },
  ];
  for (const { name, input, want } of cases) {
    it(`${want === undefined ? 'refuses' : 'reads'} ${name} (${JSON.stringify(input)})`, () => {
      const parsed = parseSemver(input);
      if (want === undefined) {
        expect(parsed).toBeUndefined();
        return;
      }
      expect(parsed).toMatchObject(want);
      expect(formatSemver(parsed!)).toBe(input);
    });
  }
});

const identifier = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }).map(String),
  fc.stringMatching(/^[0-9A-Za-z-]{0,4}[A-Za-z-][0-9A-Za-z-]{0,4}$/),
);
const semverText = fc
  .record({
    v: fc.boolean(),
    parts: fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30)),
    pre: fc.array(identifier, { maxLength: 3 }),
    build: fc.array(fc.stringMatching(/^[0-9A-Za-z-]{1,6}$/), { maxLength: 2 }),
  })
  .map(
    ({ v, parts, pre, build }) =>
      `${v ? 'v' : ''}${parts.join('.')}${pre.length ? `-${pre.join('.')}` : ''}${build.length ? `+${build.join('.')}` : ''}`,
  );

describe('formatSemver', () => {
  it('gives back exactly the text parsed, for any semver', () => {
    fc.assert(fc.property(semverText, (text) => formatSemver(parseSemver(text)!) === text));
  });
});

describe('compareSemver', () => {
  const v = (text: string): Semver => {
    const parsed = parseSemver(text);
    if (parsed === undefined) throw new Error(`${text} is not semver`);
    return parsed;
  };

  it('orders the example of semver.org §11', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    const shuffled = [...ordered].reverse().sort((a, b) => compareSemver(v(a), v(b)));
    expect(shuffled).toEqual(ordered);
    for (let i = 1; i < ordered.length; i++) expect(compareSemver(v(ordered[i - 1]!), v(ordered[i]!))).toBe(-1);
  });

  it.each([
    ['1.0.0', '2.0.0', -1],
    ['2.0.0', '2.1.0', -1],
    ['2.1.0', '2.1.1', -1],
    ['2.7.2', '2.8.0', -1],
    ['2.10.0', '2.9.0', 1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-2', '1.0.0-10', -1],
    ['1.0.0-10', '1.0.0-a', -1],
    ['1.0.0-B', '1.0.0-a', -1],
    ['1.0.0+build.1', '1.0.0+build.2', 0],
    ['v1.0.0', '1.0.0', 0],
    ['1.0.0-rc.1+a', '1.0.0-rc.1', 0],
  ])('%s vs %s gives %i', (a, b, want) => {
    expect(compareSemver(v(a), v(b))).toBe(want);
    expect(compareSemver(v(b), v(a))).toBe(-want || 0);
  });

  it('is a total preorder: antisymmetric and transitive', () => {
    fc.assert(
      fc.property(semverText, semverText, semverText, (a, b, c) => {
        const [x, y, z] = [v(a), v(b), v(c)];
        expect(compareSemver(x, y)).toBe(-compareSemver(y, x) || 0);
        if (compareSemver(x, y) <= 0 && compareSemver(y, z) <= 0) expect(compareSemver(x, z)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe('isRelease', () => {
  it.each([
    ['2.7.1', true],
    ['v2.7.1+build.5', true],
    ['2.8.0-rc1', false],
    ['2.8.0-0', false],
  ])('%s: %s', (text, want) => {
    expect(isRelease(parseSemver(text)!)).toBe(want);
  });
});
