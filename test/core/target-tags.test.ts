import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePointer, floatingRank } from '../../src/core/floating-pointer.ts';
import { compareSemver, parseSemver } from '../../src/core/semver.ts';
import { exactTargetTags, floatingTargetTags, formatFloatingTag, isFloatingTemplate } from '../../src/core/target-tags.ts';

const CONFIG = { targetTags: ['{version}', 'v{version}', '{major}', '{major}.{minor}', 'v{major}', 'latest'] };

describe('target tag templates', () => {
  it.each([
    ['{version}', false],
    ['v{version}-final', false],
    ['latest', true],
    ['{major}.{minor}', true],
    ['stable', true],
  ])('%s is floating: %s', (template, want) => {
    expect(isFloatingTemplate(template)).toBe(want);
  });

  it('renders floating templates from the release parts', () => {
    expect(
      ['{major}', '{major}.{minor}', 'v{major}', '{major}.{minor}.{patch}-lts', 'latest'].map((t) =>
        formatFloatingTag(t, { major: 2, minor: 7, patch: 1 }),
      ),
    ).toEqual(['2', '2.7', 'v2', '2.7.1-lts', 'latest']);
  });

  it.each([
    ['2.7.1', ['2.7.1', 'v2.7.1'], ['2', '2.7', 'v2', 'latest']],
    ['v2.7.1', ['v2.7.1', 'vv2.7.1'], ['2', '2.7', 'v2', 'latest']],
    ['2.8.0-rc1', ['2.8.0-rc1', 'v2.8.0-rc1'], []],
    ['2.8', ['2.8', 'v2.8'], []],
    ['latest', ['latest', 'vlatest'], []],
  ])('version %s: exact %j, floating %j', (version, exact, floating) => {
    expect(exactTargetTags(CONFIG, version)).toEqual(exact);
    expect(floatingTargetTags(CONFIG, version)).toEqual(floating);
  });
});

describe('floatingRank', () => {
  const release = fc.record({
    v: fc.boolean(),
    major: fc.nat(12),
    minor: fc.nat(12),
    patch: fc.nat(12),
    revision: fc.integer({ min: 1, max: 200 }),
  });
  const rankOf = (r: { v: boolean; major: number; minor: number; patch: number; revision: number }) => {
    const text = `${r.v ? 'v' : ''}${r.major}.${r.minor}.${r.patch}`;
    return { text, semver: parseSemver(text)!, revision: r.revision, rank: floatingRank(r, text, r.revision) };
  };

  it('orders as (semver precedence, version text, revision), compared as plain strings', () => {
    fc.assert(
      fc.property(release, release, (a, b) => {
        const x = rankOf(a);
        const y = rankOf(b);
        const want =
          compareSemver(x.semver, y.semver) || (x.text < y.text ? -1 : x.text > y.text ? 1 : 0) || Math.sign(x.revision - y.revision);
        expect(Math.sign(x.rank < y.rank ? -1 : x.rank > y.rank ? 1 : 0)).toBe(want);
      }),
    );
  });

  it('sorts 2.10.0 after 2.9.0, which plain version text would not', () => {
    expect(floatingRank({ major: 2, minor: 10, patch: 0 }, '2.10.0', 1) > floatingRank({ major: 2, minor: 9, patch: 0 }, '2.9.0', 1)).toBe(
      true,
    );
  });

  it('tells a person how a pointed-to version compares', () => {
    const pointer = { tag: 'latest', version: '2.8.0', digest: 'sha256:x', revision: 1, rank: '' };
    expect(['2.7.2', '2.8.0', 'v2.8.0', '2.9.0'].map((v) => comparePointer(pointer, parseSemver(v)!))).toEqual([
      'newer',
      'same',
      'same',
      'older',
    ]);
  });
});
