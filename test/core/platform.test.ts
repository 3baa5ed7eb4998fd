import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.ts';
import {
  formatPlatform,
  isSamePlatform,
  normalisePlatform,
  type Platform,
  parsePlatform,
  platformFromJson,
  platformToJson,
  satisfiesPlatform,
} from '../../src/core/platform.ts';

describe('parsePlatform', () => {
  const cases: Array<{ name: string; input: string; want?: Platform; wantErr?: RegExp }> = [
    { name: 'plain linux/amd64', input: 'linux/amd64', want: { os: 'linux', architecture: 'amd64' } },
    { name: 'aarch64 becomes arm64', input: 'linux/aarch64', want: { os: 'linux', architecture: 'arm64' } },
    { name: 'arm64/v8 drops the default variant', input: 'linux/arm64/v8', want: { os: 'linux', architecture: 'arm64' } },
    { name: 'arm64/8 drops the default variant', input: 'linux/arm64/8', want: { os: 'linux', architecture: 'arm64' } },
    { name: 'arm64/v9.0 becomes v9', input: 'linux/arm64/v9.0', want: { os: 'linux', architecture: 'arm64', variant: 'v9' } },
    { name: 'arm without variant is v7', input: 'linux/arm', want: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { name: 'arm/7 is v7', input: 'linux/arm/7', want: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { name: 'arm/6 is v6', input: 'linux/arm/6', want: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { name: 'arm/v5 stays', input: 'linux/arm/v5', want: { os: 'linux', architecture: 'arm', variant: 'v5' } },
    { name: 'armhf is arm/v7', input: 'linux/armhf', want: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { name: 'armel is arm/v6', input: 'linux/armel', want: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { name: 'x86_64 is amd64', input: 'linux/x86_64', want: { os: 'linux', architecture: 'amd64' } },
    { name: 'x86-64 is amd64', input: 'linux/x86-64', want: { os: 'linux', architecture: 'amd64' } },
    { name: 'amd64/v1 drops the default variant', input: 'linux/amd64/v1', want: { os: 'linux', architecture: 'amd64' } },
    { name: 'amd64/v3 keeps its variant', input: 'linux/amd64/v3', want: { os: 'linux', architecture: 'amd64', variant: 'v3' } },
    { name: 'i386 is 386', input: 'linux/i386', want: { os: 'linux', architecture: '386' } },
    { name: 'upper case is lowered', input: 'Linux/AMD64', want: { os: 'linux', architecture: 'amd64' } },
    { name: 'macos is darwin', input: 'macos/arm64', want: { os: 'darwin', architecture: 'arm64' } },
    { name: 'surrounding spaces are trimmed', input: ' linux/ppc64le ', want: { os: 'linux', architecture: 'ppc64le' } },
    {
      name: 'windows with os.version',
      input: 'windows(10.0.20348)/amd64',
      want: { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' },
    },
    { name: 'empty os.version', input: 'windows()/amd64', wantErr: /"windows\(\)\/amd64" is not a platform: os.version ""/ },
    {
      name: 'unknown/unknown is refused',
      input: 'unknown/unknown',
      wantErr: /"unknown\/unknown" is not a platform: unknown\/unknown marks attestations/,
    },
    { name: 'linux/unknown is refused', input: 'linux/unknown', wantErr: /"linux\/unknown" is not a platform/ },
    { name: 'no architecture', input: 'linux', wantErr: /"linux" is not a platform: expected os\[\(os.version\)\]\/architecture/ },
    { name: 'empty', input: '', wantErr: /"" is not a platform/ },
    { name: 'too many parts', input: 'linux/arm64/v8/extra', wantErr: /"linux\/arm64\/v8\/extra" is not a platform/ },
    { name: 'empty architecture', input: 'linux//v8', wantErr: /"linux\/\/v8" is not a platform/ },
    { name: 'bad characters in os', input: 'lin ux/amd64', wantErr: /os "lin ux" may hold only/ },
    { name: 'bad characters in architecture', input: 'linux/am$d64', wantErr: /architecture "am\$d64" may hold only/ },
    { name: 'bad characters in variant', input: 'linux/arm/v7!', wantErr: /variant "v7!" may hold only/ },
    { name: 'bad os.version', input: 'windows(10 0)/amd64', wantErr: /"windows\(10 0\)\/amd64" is not a platform: os.version "10 0"/ },
    { name: 'unbalanced parenthesis', input: 'windows(10.0/amd64', wantErr: /"windows\(10.0\/amd64" is not a platform/ },
  ];

  for (const { name, input, want, wantErr } of cases) {
    it(name, () => {
      if (wantErr !== undefined) {
        expect(() => parsePlatform(input)).toThrow(InvalidInputError);
        expect(() => parsePlatform(input)).toThrow(wantErr);
      } else {
        expect(parsePlatform(input)).toEqual(want);
      }
    });
  }
});

describe('formatPlatform', () => {
  const cases: Array<{ name: string; input: Platform; want: string }> = [
    { name: 'os and architecture', input: { os: 'linux', architecture: 'amd64' }, want: 'linux/amd64' },
    { name: 'with variant', input: { os: 'linux', architecture: 'arm', variant: 'v7' }, want: 'linux/arm/v7' },
    {
      name: 'with os.version',
      input: { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' },
      want: 'windows(10.0.20348)/amd64',
    },
    {
      name: 'os.features are not part of it',
      input: { os: 'windows', architecture: 'amd64', osFeatures: ['win32k'] },
      want: 'windows/amd64',
    },
  ];
  for (const { name, input, want } of cases) {
    it(name, () => expect(formatPlatform(input)).toBe(want));
  }
});

describe('normalisePlatform', () => {
  it('normalises what a config blob says, keeping os.version and sorting os.features', () => {
    expect(normalisePlatform({ os: 'Windows', architecture: 'x86_64', osVersion: '10.0.17763.1', osFeatures: ['z', 'win32k'] })).toEqual({
      os: 'windows',
      architecture: 'amd64',
      osVersion: '10.0.17763.1',
      osFeatures: ['win32k', 'z'],
    });
  });
  it('drops an empty variant and empty os.features', () => {
    expect(normalisePlatform({ os: 'linux', architecture: 'amd64', variant: '', osFeatures: [] })).toEqual({
      os: 'linux',
      architecture: 'amd64',
    });
  });
  it('refuses a component with a slash, naming the field', () => {
    expect(() => normalisePlatform({ os: 'linux', architecture: 'arm/64' })).toThrow(/architecture "arm\/64"/);
  });
});

describe('satisfiesPlatform', () => {
  const cases: Array<{ name: string; actual: string; required: string; want: boolean }> = [
    { name: 'equal platforms', actual: 'linux/amd64', required: 'linux/amd64', want: true },
    { name: 'arm64/v8 satisfies arm64', actual: 'linux/arm64/v8', required: 'linux/arm64', want: true },
    { name: 'aarch64 satisfies arm64/v8', actual: 'linux/aarch64', required: 'linux/arm64/v8', want: true },
    { name: 'arm satisfies arm/v7', actual: 'linux/arm', required: 'linux/arm/v7', want: true },
    { name: 'arm/v6 does not satisfy arm/v7', actual: 'linux/arm/v6', required: 'linux/arm/v7', want: false },
    { name: 'amd64/v3 does not satisfy amd64', actual: 'linux/amd64/v3', required: 'linux/amd64', want: false },
    { name: 'another os', actual: 'windows/amd64', required: 'linux/amd64', want: false },
    { name: 'another architecture', actual: 'linux/arm64', required: 'linux/amd64', want: false },
    {
      name: 'a requirement without os.version accepts any build',
      actual: 'windows(10.0.20348.2227)/amd64',
      required: 'windows/amd64',
      want: true,
    },
    {
      name: 'os.version prefix on a dot boundary',
      actual: 'windows(10.0.20348.2227)/amd64',
      required: 'windows(10.0.20348)/amd64',
      want: true,
    },
    { name: 'exact os.version', actual: 'windows(10.0.20348)/amd64', required: 'windows(10.0.20348)/amd64', want: true },
    {
      name: 'a longer build number is not a prefix match',
      actual: 'windows(10.0.203481)/amd64',
      required: 'windows(10.0.20348)/amd64',
      want: false,
    },
    { name: 'another build', actual: 'windows(10.0.17763.1)/amd64', required: 'windows(10.0.20348)/amd64', want: false },
    { name: 'no os.version does not satisfy a required one', actual: 'windows/amd64', required: 'windows(10.0.20348)/amd64', want: false },
  ];
  for (const { name, actual, required, want } of cases) {
    it(name, () => expect(satisfiesPlatform(parsePlatform(actual), parsePlatform(required))).toBe(want));
  }
});

describe('isSamePlatform', () => {
  it('treats two spellings as one and ignores os.features', () => {
    expect(isSamePlatform(parsePlatform('linux/aarch64'), parsePlatform('linux/arm64/v8'))).toBe(true);
    expect(isSamePlatform({ os: 'windows', architecture: 'amd64', osFeatures: ['win32k'] }, { os: 'windows', architecture: 'amd64' })).toBe(
      true,
    );
    expect(isSamePlatform(parsePlatform('linux/arm/v6'), parsePlatform('linux/arm'))).toBe(false);
  });
});

describe('platformToJson / platformFromJson', () => {
  it('writes keys in the spec order', () => {
    const json = platformToJson({ os: 'windows', architecture: 'amd64', variant: 'v3', osVersion: '10.0.20348', osFeatures: ['win32k'] });
    expect(JSON.stringify(json)).toBe(
      '{"architecture":"amd64","os":"windows","os.version":"10.0.20348","os.features":["win32k"],"variant":"v3"}',
    );
  });
  it('reads a config blob', () => {
    expect(platformFromJson({ architecture: 'arm64', os: 'linux', variant: 'v8', 'os.version': '', created: 'x' })).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
  });
  const missing: Array<{ name: string; input: unknown }> = [
    { name: 'no os', input: { architecture: 'amd64' } },
    { name: 'empty architecture', input: { os: 'linux', architecture: '' } },
    { name: 'architecture not a string', input: { os: 'linux', architecture: 64 } },
    { name: 'null', input: null },
    { name: 'a string', input: 'linux/amd64' },
  ];
  for (const { name, input } of missing) {
    it(`gives undefined for ${name}`, () => expect(platformFromJson(input)).toBeUndefined());
  }
});

// Generated platforms in every spelling containerd accepts, valid by construction.
const component = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,11}$/).filter((s) => s !== 'unknown');
const architecture = fc.oneof(
  fc.constantFrom('amd64', 'x86_64', 'x86-64', 'arm64', 'aarch64', 'arm', 'armhf', 'armel', 'i386', '386', 'ppc64le', 's390x', 'riscv64'),
  component,
);
const variant = fc.option(fc.oneof(fc.constantFrom('v8', '8', 'v8.0', '9', 'v9.0', 'v7', '7', '6', '5', 'v1', 'v2', 'v3'), component), {
  nil: undefined,
});
const osVersion = fc.option(fc.stringMatching(/^[0-9]{1,2}\.[0-9]\.[0-9]{1,5}(\.[0-9]{1,4})?$/), { nil: undefined });
const platformInput = fc.record({
  os: fc.oneof(fc.constantFrom('linux', 'windows', 'darwin', 'macos', 'freebsd', 'LINUX'), component),
  architecture,
  variant,
  osVersion,
});

function toText(p: { os: string; architecture: string; variant: string | undefined; osVersion: string | undefined }): string {
  return `${p.os}${p.osVersion === undefined ? '' : `(${p.osVersion})`}/${p.architecture}${p.variant === undefined ? '' : `/${p.variant}`}`;
}

describe('platform properties', () => {
  it('parse ∘ format is the identity on parsed platforms', () => {
    fc.assert(
      fc.property(platformInput, (input) => {
        const parsed = parsePlatform(toText(input));
        expect(parsePlatform(formatPlatform(parsed))).toEqual(parsed);
      }),
    );
  });

  it('normalisation is idempotent', () => {
    fc.assert(
      fc.property(platformInput, (input) => {
        const once = normalisePlatform({
          os: input.os,
          architecture: input.architecture,
          ...(input.variant === undefined ? {} : { variant: input.variant }),
          ...(input.osVersion === undefined ? {} : { osVersion: input.osVersion }),
        });
        expect(normalisePlatform(once)).toEqual(once);
      }),
    );
  });

  it('a platform satisfies itself, and platforms that satisfy each other without os.version are the same', () => {
    fc.assert(
      fc.property(platformInput, platformInput, (a, b) => {
        const pa = parsePlatform(toText(a));
        const pb = parsePlatform(toText({ ...b, osVersion: undefined }));
        expect(satisfiesPlatform(pa, pa)).toBe(true);
        if (pa.osVersion === undefined && satisfiesPlatform(pa, pb)) expect(isSamePlatform(pa, pb)).toBe(true);
      }),
    );
  });
});
