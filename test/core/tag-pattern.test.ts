import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.ts';
import { DEFAULT_TAG_PATTERN } from '../../src/core/repository-config.ts';
import {
  checkTagPatternText,
  checkVersion,
  compileTagPattern,
  formatTargetTag,
  matchTag,
  type TagMatch,
  type TagPattern,
  VERSION_SYNTAX_MESSAGE,
} from '../../src/core/tag-pattern.ts';

describe('compileTagPattern', () => {
  const cases: Array<{ name: string; input: string; wantErr?: RegExp }> = [
    { name: 'the default pattern', input: DEFAULT_TAG_PATTERN },
    { name: 'version only', input: '^v(?<version>[0-9.]+)$' },
    { name: 'an optional quantified group is fine', input: '^(?<version>[0-9]+(\\.[0-9]+)?)-(?<platform>\\w+)$' },
    { name: 'a quantified group without inner quantifier', input: '^(?<version>(ab|cd)*)-x$' },
    { name: 'a quantifier inside a character class is literal', input: '^(?<version>[+*]+)$' },
    { name: 'empty', input: '', wantErr: /tagPattern must be 1 to 512 characters/ },
    { name: 'too long', input: `(?<version>${'a'.repeat(520)})`, wantErr: /tagPattern must be 1 to 512 characters/ },
    { name: 'no version group', input: '^(?<ver>.+)-(?<platform>[^-]+)$', wantErr: /named group \(\?<version>…\)/ },
    { name: 'invalid regex', input: '^(?<version>.+', wantErr: /tagPattern is not a valid regular expression/ },
    // RE2 matches in linear time, so patterns that would backtrack catastrophically are safe to accept.
    { name: 'nested quantifier (a+)+', input: '^(?<version>(a+)+)$' },
    { name: 'nested quantifier with braces', input: '^(?<version>(\\d{1,3})+)$' },
    { name: 'quantified alternation (a|a)*', input: '^(?<version>(a|a)*)-x$' },
    { name: 'P-style named group', input: '^(?P<version>.+)-(?P<platform>[^-]+)$' },
    { name: 'lookahead is not RE2', input: '^(?<version>.+)(?=-arm64)', wantErr: /RE2 syntax: no lookaround/ },
    { name: 'backreference is not RE2', input: '^(?<version>(a)\\1)$', wantErr: /RE2 syntax/ },
  ];
  for (const { name, input, wantErr } of cases) {
    it(name, async () => {
      if (wantErr === undefined) {
        expect((await compileTagPattern(input)).source).toBe(input);
        return;
      }
      let error: unknown;
      try {
        await compileTagPattern(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).message).toMatch(wantErr);
      expect((error as InvalidInputError).field).toBe('tagPattern');
    });
  }
});

describe('matchTag', async () => {
  const defaultPattern = await compileTagPattern(DEFAULT_TAG_PATTERN);
  const versionOnly = await compileTagPattern('^release-(?<version>[0-9.]+)$');
  const cases: Array<{ name: string; pattern: TagPattern; input: string; want: TagMatch | undefined }> = [
    { name: 'version and platform', pattern: defaultPattern, input: '2.7-arm64', want: { version: '2.7', platformHint: 'arm64' } },
    {
      name: 'a version with a dash keeps it',
      pattern: defaultPattern,
      input: '2.7-rc1-arm64',
      want: { version: '2.7-rc1', platformHint: 'arm64' },
    },
    {
      name: 'a version tag itself can match the default pattern',
      pattern: defaultPattern,
      input: '2.7-rc1',
      want: { version: '2.7', platformHint: 'rc1' },
    },
    { name: 'no dash', pattern: defaultPattern, input: 'latest', want: undefined },
    { name: 'pattern without a platform group', pattern: versionOnly, input: 'release-1.2', want: { version: '1.2' } },
    { name: 'not matching the pattern', pattern: versionOnly, input: 'release-x', want: undefined },
    {
      name: 'a 128-character tag',
      pattern: defaultPattern,
      input: `${'a'.repeat(122)}-arm64`,
      want: { version: 'a'.repeat(122), platformHint: 'arm64' },
    },
    { name: 'a 129-character tag is not a tag', pattern: defaultPattern, input: `${'a'.repeat(123)}-arm64`, want: undefined },
    { name: 'a tag starting with a dot is not a tag', pattern: defaultPattern, input: '.2.7-arm64', want: undefined },
    {
      name: 'an empty version',
      pattern: await compileTagPattern('^(?<version>[0-9]*)-(?<platform>.+)$'),
      input: '-arm64',
      want: undefined,
    },
    {
      name: 'a version that is not a tag',
      pattern: await compileTagPattern('^x(?<version>.+)-(?<platform>[^-]+)$'),
      input: 'x.1-arm64',
      want: undefined,
    },
    {
      name: 'an empty platform group gives no hint',
      pattern: await compileTagPattern('^(?<version>[0-9.]+)(?<platform>[a-z]*)$'),
      input: '1.2',
      want: { version: '1.2' },
    },
  ];
  for (const { name, pattern, input, want } of cases) {
    it(name, () => expect(matchTag(pattern, input)).toEqual(want));
  }

  it('gives back the version and platform a default-pattern tag was made of', () => {
    const version = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/);
    const platform = fc.stringMatching(/^[A-Za-z0-9_.]{1,20}$/);
    fc.assert(
      fc.property(version, platform, (v, p) => {
        expect(matchTag(defaultPattern, `${v}-${p}`)).toEqual({ version: v, platformHint: p });
      }),
    );
  });

  it('matches the default pattern without RE2 exactly as RE2 matches it', async () => {
    // The same pattern spelled with P-style groups is compiled by RE2; the default one is not.
    const onRe2 = await compileTagPattern('^(?P<version>.+)-(?P<platform>[^-]+)$');
    expect(onRe2).not.toBe(defaultPattern);
    const tag = fc.stringMatching(/^[A-Za-z0-9_.-]{0,30}$/);
    fc.assert(
      fc.property(tag, (t) => {
        expect(matchTag(defaultPattern, t)).toEqual(matchTag(onRe2, t));
      }),
      { numRuns: 2000 },
    );
    for (const t of ['a-', '-a', 'a--b', 'a-b-', '--', 'a-b-c', '1.0-rc.1-arm64'])
      expect(matchTag(defaultPattern, t)).toEqual(matchTag(onRe2, t));
  });

  it('compiles a custom pattern once and reuses it', async () => {
    const pattern = '^build-(?<version>[0-9]+)-(?<platform>[a-z0-9]+)$';
    expect(await compileTagPattern(pattern)).toBe(await compileTagPattern(pattern));
  });
});

describe('checkTagPatternText', () => {
  it.each([
    ['', /1 to 512 characters/],
    ['^(?<ver>.+)$', /named group \(\?<version>…\)/],
  ])('refuses %j without compiling it', (input, wantErr) => {
    expect(() => checkTagPatternText(input)).toThrow(wantErr);
  });

  it('accepts both spellings of the version group', () => {
    expect(() => checkTagPatternText('^(?<version>.+)$')).not.toThrow();
    expect(() => checkTagPatternText('^(?P<version>.+)$')).not.toThrow();
  });
});

describe('formatTargetTag', () => {
  it('replaces every {version}', () => {
    expect(formatTargetTag('{version}', '2.7')).toBe('2.7');
    expect(formatTargetTag('v{version}-{version}', '2.7')).toBe('v2.7-2.7');
  });
});

describe('matchTag on patterns that would backtrack catastrophically in a backtracking engine', () => {
  // With JavaScript's RegExp, (a|a)* on 40 a's and no match takes 2^40 steps. RE2 is linear: these
  // finish at once (the test's own timeout is the only clock involved) and give the right answer.
  const adversarial = `${'a'.repeat(126)}-y`;
  it.each([
    ['(a|a)*', '^(?<version>(a|a)*)-x$'],
    ['(a+)+', '^(?<version>(a+)+)-x$'],
    ['.*.*.*.*.*', '^(?<version>.*.*.*.*.*)-x$'],
  ])('%s on a 128-character tag that does not match', async (_name, pattern) => {
    expect(matchTag(await compileTagPattern(pattern), adversarial)).toBeUndefined();
    expect(matchTag(await compileTagPattern(pattern), `${'a'.repeat(126)}-x`)).toEqual({ version: 'a'.repeat(126) });
  });
});

describe('checkVersion', () => {
  const cases: Array<{ name: string; input: string; ok: boolean }> = [
    { name: 'a release', input: '2.7.1', ok: true },
    { name: 'a pre-release with dashes', input: '2.8.0-rc1', ok: true },
    { name: 'an underscore first', input: '_nightly', ok: true },
    { name: 'the longest tag', input: `v${'1'.repeat(127)}`, ok: true },
    { name: 'empty', input: '', ok: false },
    { name: 'a dot first', input: '.x', ok: false },
    { name: 'a slash', input: '2.7/x', ok: false },
    { name: 'one character too long', input: `v${'1'.repeat(128)}`, ok: false },
  ];
  for (const { name, input, ok } of cases) {
    it(`${ok ? 'accepts' : 'refuses'} ${name}`, () => {
      if (ok) {
        expect(checkVersion(input)).toBe(input);
        return;
      }
      expect(() => checkVersion(input, 'path.version')).toThrow(
        expect.objectContaining({ field: 'path.version', message: `path.version: ${VERSION_SYNTAX_MESSAGE}` }),
      );
    });
  }
});
