import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.ts';
import {
  configPlatforms,
  DEFAULT_TAG_PATTERN,
  normaliseRepositoryConfig,
  type RepositoryConfig,
  type RepositoryConfigInput,
} from '../../src/core/repository-config.ts';

describe('normaliseRepositoryConfig', () => {
  it('fills the defaults', () => {
    expect(normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64'] })).toEqual<RepositoryConfig>({
      requiredPlatforms: ['linux/amd64'],
      optionalPlatforms: [],
      tagPattern: DEFAULT_TAG_PATTERN,
      targetTags: ['{version}'],
      indexMediaType: 'auto',
      platformOverrides: {},
      staleAfter: null,
      onStale: 'wait',
      onDrift: 'report',
      annotations: {},
    });
  });

  it('normalises every platform, overrides included, and keeps the rest', () => {
    expect(
      normaliseRepositoryConfig({
        requiredPlatforms: ['linux/x86_64', 'linux/aarch64'],
        optionalPlatforms: ['linux/arm', 'windows(10.0.20348)/AMD64'],
        tagPattern: '^(?<version>[0-9.]+)_(?<platform>.+)$',
        targetTags: ['{version}', 'v{version}'],
        indexMediaType: 'oci',
        platformOverrides: { armhf: 'linux/armhf' },
      }),
    ).toEqual<RepositoryConfig>({
      requiredPlatforms: ['linux/amd64', 'linux/arm64'],
      optionalPlatforms: ['linux/arm/v7', 'windows(10.0.20348)/amd64'],
      tagPattern: '^(?<version>[0-9.]+)_(?<platform>.+)$',
      targetTags: ['{version}', 'v{version}'],
      indexMediaType: 'oci',
      platformOverrides: { armhf: 'linux/arm/v7' },
      staleAfter: null,
      onStale: 'wait',
      onDrift: 'report',
      annotations: {},
    });
  });

  const base: RepositoryConfigInput = { requiredPlatforms: ['linux/amd64'] };
  const errors: Array<{ name: string; input: RepositoryConfigInput; field: string; wantErr: RegExp }> = [
    { name: 'no required platform', input: { requiredPlatforms: [] }, field: 'requiredPlatforms', wantErr: /at least one platform/ },
    {
      name: 'a bad required platform',
      input: { requiredPlatforms: ['linux/amd64', 'linux'] },
      field: 'requiredPlatforms[1]',
      wantErr: /^requiredPlatforms\[1\]: "linux" is not a platform/,
    },
    {
      name: 'unknown/unknown required',
      input: { requiredPlatforms: ['unknown/unknown'] },
      field: 'requiredPlatforms[0]',
      wantErr: /unknown\/unknown marks attestations/,
    },
    {
      name: 'two spellings of one platform',
      input: { requiredPlatforms: ['linux/arm64', 'linux/aarch64'] },
      field: 'requiredPlatforms',
      wantErr: /linux\/arm64 is listed twice/,
    },
    {
      name: 'a bad optional platform',
      input: { ...base, optionalPlatforms: ['linux/'] },
      field: 'optionalPlatforms[0]',
      wantErr: /optionalPlatforms\[0\]/,
    },
    {
      name: 'optional and required',
      input: { ...base, optionalPlatforms: ['linux/x86_64'] },
      field: 'optionalPlatforms',
      wantErr: /linux\/amd64 is already required/,
    },
    {
      name: 'duplicate optional',
      input: { ...base, optionalPlatforms: ['linux/arm', 'linux/arm/v7'] },
      field: 'optionalPlatforms',
      wantErr: /listed twice/,
    },
    { name: 'pattern without version', input: { ...base, tagPattern: '^(?<v>.+)$' }, field: 'tagPattern', wantErr: /named group/ },
    { name: 'no target tags', input: { ...base, targetTags: [] }, field: 'targetTags', wantErr: /at least one tag template/ },
    {
      name: 'only floating target tags',
      input: { ...base, targetTags: ['latest', '{major}.{minor}'] },
      field: 'targetTags',
      wantErr: /every template is floating \(latest, \{major\}.\{minor\}\); add an exact one with \{version\}.*not semver/,
    },
    {
      name: 'target tag with another placeholder',
      input: { ...base, targetTags: ['{version}-{platform}'] },
      field: 'targetTags[0]',
      wantErr: /\{version\} is the only placeholder/,
    },
    {
      name: 'an exact template with a floating placeholder',
      input: { ...base, targetTags: ['{version}-{major}'] },
      field: 'targetTags[0]',
      wantErr: /has \{major\}; \{version\} is the only placeholder of an exact template/,
    },
    {
      name: 'a floating template with an unknown placeholder',
      input: { ...base, targetTags: ['{version}', '{major}-{arch}'] },
      field: 'targetTags[1]',
      wantErr: /has \{arch\}; a floating template .* only \{major\}, \{minor\} and \{patch\}/,
    },
    {
      name: 'a placeholder in the wrong case',
      input: { ...base, targetTags: ['{version}', '{Major}'] },
      field: 'targetTags[1]',
      wantErr: /has \{Major\}/,
    },
    {
      name: 'a placeholder twice',
      input: { ...base, targetTags: ['{version}', '{major}.{major}'] },
      field: 'targetTags[1]',
      wantErr: /\{major\} twice/,
    },
    {
      name: 'a release line without its major',
      input: { ...base, targetTags: ['{version}', 'v{minor}'] },
      field: 'targetTags[1]',
      wantErr: /without its earlier parts/,
    },
    {
      name: 'a patch without its minor',
      input: { ...base, targetTags: ['{version}', '{major}.{patch}'] },
      field: 'targetTags[1]',
      wantErr: /without its earlier parts/,
    },
    {
      name: 'a floating template that is not a tag',
      input: { ...base, targetTags: ['{version}', 'latest!'] },
      field: 'targetTags[1]',
      wantErr: /does not make a valid tag/,
    },
    {
      name: 'an unclosed brace',
      input: { ...base, targetTags: ['{version}', '{major'] },
      field: 'targetTags[1]',
      wantErr: /does not make a valid tag/,
    },
    {
      name: 'two templates making one tag',
      input: { ...base, targetTags: ['{version}', '{major}.{minor}.{patch}'] },
      field: 'targetTags[1]',
      wantErr: /same tag as targetTags\[0\] \("\{version\}"\): both make "1.2.3"/,
    },
    {
      name: 'two templates making one tag for v versions',
      input: { ...base, targetTags: ['{version}', 'v{major}.{minor}.{patch}'] },
      field: 'targetTags[1]',
      wantErr: /both make "v1.2.3" for version v1.2.3/,
    },
    {
      name: 'target tag that is not a tag',
      input: { ...base, targetTags: ['-{version}'] },
      field: 'targetTags[0]',
      wantErr: /does not make a valid tag/,
    },
    {
      name: 'the same template twice',
      input: { ...base, targetTags: ['{version}', '{version}'] },
      field: 'targetTags',
      wantErr: /same template twice/,
    },
    {
      name: 'a bad override',
      input: { ...base, platformOverrides: { arm64: 'arm64' } },
      field: 'platformOverrides.arm64',
      wantErr: /^platformOverrides.arm64: "arm64" is not a platform/,
    },
    {
      name: 'a __proto__ annotation key',
      input: { ...base, annotations: JSON.parse('{"org.example.a":"1","__proto__":"x"}') as Record<string, string> },
      field: 'annotations["__proto__"]',
      wantErr: /^annotations\["__proto__"\]: "__proto__" cannot be an annotation key/,
    },
    {
      name: 'an annotation key with a space',
      input: { ...base, annotations: { 'org.example a': 'x' } },
      field: 'annotations["org.example a"]',
      wantErr: /reverse-domain notation/,
    },
    {
      name: 'an annotation key of digits',
      input: { ...base, annotations: { '42': 'x' } },
      field: 'annotations["42"]',
      wantErr: /is not an annotation key/,
    },
    {
      name: 'an empty annotation key',
      input: { ...base, annotations: { '': 'x' } },
      field: 'annotations[""]',
      wantErr: /1 to 128 characters/,
    },
  ];
  for (const { name, input, field, wantErr } of errors) {
    it(`refuses ${name}, naming ${field}`, () => {
      let error: unknown;
      try {
        normaliseRepositoryConfig(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as InvalidInputError).details).toMatchObject({ field });
      expect((error as Error).message).toMatch(wantErr);
    });
  }

  it.each([
    [['{version}', 'latest']],
    [['{version}', '{major}', '{major}.{minor}', 'latest']],
    [['v{version}', 'v{major}', 'stable', '{major}.{minor}.{patch}-final']],
  ])('accepts floating templates beside an exact one: %j', (targetTags) => {
    expect(normaliseRepositoryConfig({ ...base, targetTags }).targetTags).toEqual(targetTags);
  });

  it('keeps annotations sorted by key, constructor among them as an ordinary key', () => {
    const config = normaliseRepositoryConfig({
      ...base,
      annotations: { 'org.opencontainers.image.source': 's', constructor: 'c', 'com.example/x': '' },
    });
    expect(Object.keys(config.annotations)).toEqual(['com.example/x', 'constructor', 'org.opencontainers.image.source']);
    expect(Object.hasOwn(config.annotations, 'constructor')).toBe(true);
    expect(config.annotations.constructor).toBe('c');
  });

  it('keeps an override whose tag value is a name Object.prototype has', () => {
    const config = normaliseRepositoryConfig({ ...base, platformOverrides: { constructor: 'linux/arm' } });
    expect(Object.hasOwn(config.platformOverrides, 'constructor')).toBe(true);
    expect(config.platformOverrides.constructor).toBe('linux/arm/v7');
  });
});

describe('configPlatforms', () => {
  it('parses required and optional platforms', () => {
    const config = normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64'], optionalPlatforms: ['linux/arm'] });
    expect(configPlatforms(config)).toEqual({
      required: [{ os: 'linux', architecture: 'amd64' }],
      optional: [{ os: 'linux', architecture: 'arm', variant: 'v7' }],
    });
  });
});
