import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.ts';
import { DEFAULT_TAG_PATTERN } from '../../src/core/repository-config.ts';
import { compileTagPattern, formatTargetTag, matchTag, type TagMatch } from '../../src/core/tag-pattern.ts';

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
    { name: 'nested quantifier (a+)+', input: '^(?<version>(a+)+)$', wantErr: /backtrack catastrophically/ },
    { name: 'nested quantifier (.*)*', input: '^(?<version>.*)*$', wantErr: /backtrack catastrophically/ },
    { name: 'nested quantifier with braces', input: '^(?<version>(\\d{1,3})+)$', wantErr: /backtrack catastrophically/ },
    { name: 'quantified group holding a quantified group', input: '^(?<version>((a)*)*)$', wantErr: /backtrack catastrophically/ },
  ];
  for (const { name, input, wantErr } of cases) {
    it(name, () => {
      if (wantErr === undefined) {
        expect(compileTagPattern(input)).toBeInstanceOf(RegExp);
        return;
      }
      let error: unknown;
      try {
        compileTagPattern(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).message).toMatch(wantErr);
      expect((error as InvalidInputError).field).toBe('tagPattern');
    });
  }
});

describe('matchTag', () => {
  const defaultPattern = compileTagPattern(DEFAULT_TAG_PATTERN);
  const versionOnly = compileTagPattern('^release-(?<version>[0-9.]+)$');
  const cases: Array<{ name: string; pattern: RegExp; input: string; want: TagMatch | undefined }> = [
    { name: 'version and platform', pattern: defaultPattern, input: '2.7-arm64', want: { version: '2.7', platformHint: 'arm64' } },
    { name: 'a version with a dash keeps it', pattern: defaultPattern, input: '2.7-rc1-arm64', want: { version: '2.7-rc1', platformHint: 'arm64' } },
    { name: 'a version tag itself can match the default pattern', pattern: defaultPattern, input: '2.7-rc1', want: { version: '2.7', platformHint: 'rc1' } },
    { name: 'no dash', pattern: defaultPattern, input: 'latest', want: undefined },
    { name: 'pattern without a platform group', pattern: versionOnly, input: 'release-1.2', want: { version: '1.2' } },
    { name: 'not matching the pattern', pattern: versionOnly, input: 'release-x', want: undefined },
    { name: 'a 128-character tag', pattern: defaultPattern, input: `${'a'.repeat(122)}-arm64`, want: { version: 'a'.repeat(122), platformHint: 'arm64' } },
    { name: 'a 129-character tag is not a tag', pattern: defaultPattern, input: `${'a'.repeat(123)}-arm64`, want: undefined },
    { name: 'a tag starting with a dot is not a tag', pattern: defaultPattern, input: '.2.7-arm64', want: undefined },
    { name: 'an empty version', pattern: compileTagPattern('^(?<version>[0-9]*)-(?<platform>.+)$'), input: '-arm64', want: undefined },
    { name: 'a version that is not a tag', pattern: compileTagPattern('^x(?<version>.+)-(?<platform>[^-]+)$'), input: 'x.1-arm64', want: undefined },
    { name: 'an empty platform group gives no hint', pattern: compileTagPattern('^(?<version>[0-9.]+)(?<platform>[a-z]*)$'), input: '1.2', want: { version: '1.2' } },
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
});

describe('formatTargetTag', () => {
  it('replaces every {version}', () => {
    expect(formatTargetTag('{version}', '2.7')).toBe('2.7');
    expect(formatTargetTag('v{version}-{version}', '2.7')).toBe('v2.7-2.7');
  });
});
