import { InvalidInputError } from './errors.ts';
import { formatPlatform, parsePlatform, type Platform } from './platform.ts';
import { compileTagPattern, formatTargetTag, TAG_SYNTAX } from './tag-pattern.ts';

/** How a repository's per-arch pushes become a published index (DESIGN §3). Platforms are stored normalised. */
export interface RepositoryConfig {
  readonly requiredPlatforms: readonly string[];
  readonly optionalPlatforms: readonly string[];
  readonly tagPattern: string;
  readonly targetTags: readonly string[];
  readonly indexMediaType: IndexMediaTypeChoice;
  readonly platformOverrides: Readonly<Record<string, string>>;
}

export const IndexMediaTypeChoices = { auto: 'auto', oci: 'oci', docker: 'docker' } as const;
export type IndexMediaTypeChoice = (typeof IndexMediaTypeChoices)[keyof typeof IndexMediaTypeChoices];

export const DEFAULT_TAG_PATTERN = '^(?<version>.+)-(?<platform>[^-]+)$';

export const DEFAULT_CONFIG: Omit<RepositoryConfig, 'requiredPlatforms'> = {
  optionalPlatforms: [],
  tagPattern: DEFAULT_TAG_PATTERN,
  targetTags: ['{version}'],
  indexMediaType: 'auto',
  platformOverrides: {},
};

/** The shape a caller sends; every field but `requiredPlatforms` may be left out. */
export interface RepositoryConfigInput {
  readonly requiredPlatforms: readonly string[];
  readonly optionalPlatforms?: readonly string[] | undefined;
  readonly tagPattern?: string | undefined;
  readonly targetTags?: readonly string[] | undefined;
  readonly indexMediaType?: IndexMediaTypeChoice | undefined;
  readonly platformOverrides?: Readonly<Record<string, string>> | undefined;
}

/**
 * Checks the meaning of a config (platforms parse, no duplicates, the pattern has a `version` group,
 * target tags are valid tags) and returns it normalised. Throws {@link InvalidInputError} naming the field.
 */
export function normaliseRepositoryConfig(input: RepositoryConfigInput): RepositoryConfig {
  const requiredPlatforms = normalisePlatformList(input.requiredPlatforms, 'requiredPlatforms');
  if (requiredPlatforms.length === 0) {
    throw new InvalidInputError('requiredPlatforms must name at least one platform', 'requiredPlatforms');
  }
  const optionalPlatforms = normalisePlatformList(input.optionalPlatforms ?? [], 'optionalPlatforms');
  const both = optionalPlatforms.find((p) => requiredPlatforms.includes(p));
  if (both !== undefined) {
    throw new InvalidInputError(`optionalPlatforms: ${both} is already required`, 'optionalPlatforms');
  }
  const tagPattern = input.tagPattern ?? DEFAULT_TAG_PATTERN;
  compileTagPattern(tagPattern);
  const targetTags = [...(input.targetTags ?? DEFAULT_CONFIG.targetTags)];
  if (targetTags.length === 0) throw new InvalidInputError('targetTags must hold at least one tag template', 'targetTags');
  targetTags.forEach((template, i) => checkTargetTemplate(template, `targetTags[${i}]`));
  if (new Set(targetTags).size !== targetTags.length) {
    throw new InvalidInputError('targetTags has the same template twice', 'targetTags');
  }
  const platformOverrides: Record<string, string> = {};
  for (const [value, platform] of Object.entries(input.platformOverrides ?? {})) {
    platformOverrides[value] = normalisePlatformText(platform, `platformOverrides.${value}`);
  }
  return {
    requiredPlatforms,
    optionalPlatforms,
    tagPattern,
    targetTags,
    indexMediaType: input.indexMediaType ?? 'auto',
    platformOverrides,
  };
}

/** The required and optional platforms, parsed. */
export function configPlatforms(config: RepositoryConfig): { required: Platform[]; optional: Platform[] } {
  return { required: config.requiredPlatforms.map(parsePlatform), optional: config.optionalPlatforms.map(parsePlatform) };
}

function normalisePlatformList(list: readonly string[], field: string): string[] {
  const seen = new Set<string>();
  return list.map((text, i) => {
    const platform = normalisePlatformText(text, `${field}[${i}]`);
    if (seen.has(platform)) throw new InvalidInputError(`${field}: ${platform} is listed twice`, field);
    seen.add(platform);
    return platform;
  });
}

function normalisePlatformText(text: string, field: string): string {
  try {
    return formatPlatform(parsePlatform(text));
  } catch (error) {
    throw new InvalidInputError(`${field}: ${(error as Error).message}`, field);
  }
}

function checkTargetTemplate(template: string, field: string): void {
  if (!template.includes('{version}')) {
    throw new InvalidInputError(`${field}: "${template}" must contain {version}, or every version would publish to one tag`, field);
  }
  const sample = formatTargetTag(template, '1.0');
  if (!TAG_SYNTAX.test(sample) || /\{[^}]*\}/.test(sample)) {
    throw new InvalidInputError(
      `${field}: "${template}" does not make a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}); {version} is the only placeholder`,
      field,
    );
  }
}
