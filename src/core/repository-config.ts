import { normaliseAnnotations } from './annotations.ts';
import { InvalidInputError, RepositoryNotConfiguredError } from './errors.ts';
import { formatPlatform, type Platform, parsePlatform } from './platform.ts';
import type { VersionStore } from './ports.ts';
import { formatSemver, type Semver } from './semver.ts';
import { checkTagPatternText, DEFAULT_TAG_PATTERN, formatTargetTag, TAG_SYNTAX } from './tag-pattern.ts';
import { FLOATING_PLACEHOLDERS, formatFloatingTag, isFloatingTemplate } from './target-tags.ts';

export { DEFAULT_TAG_PATTERN };

/** How a repository's per-arch pushes become a published index (docs/configuration.md). Platforms are stored normalised. */
export interface RepositoryConfig {
  readonly requiredPlatforms: readonly string[];
  readonly optionalPlatforms: readonly string[];
  readonly tagPattern: string;
  /** Exact templates (with `{version}`) and floating ones (`latest`, `{major}.{minor}`): see target-tags.ts. */
  readonly targetTags: readonly string[];
  readonly indexMediaType: IndexMediaTypeChoice;
  readonly platformOverrides: Readonly<Record<string, string>>;
  /** A duration (`30m`, `6h`, `2d`) after the first push after which a version still missing platforms is `stale`; null: never. */
  readonly staleAfter: string | null;
  /** What a stale version does: keep waiting, or publish the platforms it has (and republish as the rest arrive). */
  readonly onStale: OnStaleChoice;
  /** What the reconciler does when someone else moved a published tag: report a conflict, or put our index back. */
  readonly onDrift: OnDriftChoice;
  /** Annotations of every published index (OCI index only), keys sorted; they win over inherited ones. */
  readonly annotations: Readonly<Record<string, string>>;
  /**
   * `immutable`: the registry refuses to move the version's target tags (an ECR repository with
   * IMMUTABLE tags), so a version is published once and never republished; a rebuild after that is
   * a conflict saying so. Absent (or `mutable`): a rebuild republishes.
   */
  readonly tagMutability?: TagMutabilityChoice;
}

export const TagMutabilityChoices = { mutable: 'mutable', immutable: 'immutable' } as const;
export type TagMutabilityChoice = (typeof TagMutabilityChoices)[keyof typeof TagMutabilityChoices];

export const OnStaleChoices = { wait: 'wait', publishPartial: 'publish-partial' } as const;
export type OnStaleChoice = (typeof OnStaleChoices)[keyof typeof OnStaleChoices];

export const OnDriftChoices = { report: 'report', restore: 'restore' } as const;
export type OnDriftChoice = (typeof OnDriftChoices)[keyof typeof OnDriftChoices];

export const IndexMediaTypeChoices = { auto: 'auto', oci: 'oci', docker: 'docker' } as const;
export type IndexMediaTypeChoice = (typeof IndexMediaTypeChoices)[keyof typeof IndexMediaTypeChoices];

export const DEFAULT_CONFIG: Omit<RepositoryConfig, 'requiredPlatforms'> = {
  optionalPlatforms: [],
  tagPattern: DEFAULT_TAG_PATTERN,
  targetTags: ['{version}'],
  indexMediaType: 'auto',
  platformOverrides: {},
  staleAfter: null,
  onStale: 'wait',
  onDrift: 'report',
  annotations: {},
};

/** The shape a caller sends; every field but `requiredPlatforms` may be left out. */
export interface RepositoryConfigInput {
  readonly requiredPlatforms: readonly string[];
  readonly optionalPlatforms?: readonly string[] | undefined;
  readonly tagPattern?: string | undefined;
  readonly targetTags?: readonly string[] | undefined;
  readonly indexMediaType?: IndexMediaTypeChoice | undefined;
  readonly platformOverrides?: Readonly<Record<string, string>> | undefined;
  readonly staleAfter?: string | null | undefined;
  readonly onStale?: OnStaleChoice | undefined;
  readonly onDrift?: OnDriftChoice | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly tagMutability?: TagMutabilityChoice | undefined;
}

/**
 * Checks the meaning of a config (platforms parse, no duplicates, the pattern has a `version` group —
 * its RE2 syntax is checked by {@link compileTagPattern} —
 * target tags are valid tags, annotation keys and values are bounded) and returns it normalised.
 * Throws {@link InvalidInputError} naming the field.
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
  // The full RE2 check is asynchronous (re2js is loaded on demand): the API runs compileTagPattern before storing.
  checkTagPatternText(tagPattern);
  const targetTags = [...(input.targetTags ?? DEFAULT_CONFIG.targetTags)];
  if (targetTags.length === 0) throw new InvalidInputError('targetTags must hold at least one tag template', 'targetTags');
  for (const [i, template] of targetTags.entries()) checkTargetTemplate(template, `targetTags[${i}]`);
  checkTargetTagList(targetTags);
  const onStale = input.onStale ?? 'wait';
  if (input.tagMutability === 'immutable' && onStale === 'publish-partial') {
    throw new InvalidInputError(
      'onStale: publish-partial republishes when the missing platforms arrive, which tagMutability: immutable forbids; use onStale: wait',
      'onStale',
    );
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
    staleAfter: input.staleAfter == null ? null : formatDuration(parseDuration(input.staleAfter, 'staleAfter')),
    onStale,
    onDrift: input.onDrift ?? 'report',
    annotations: normaliseAnnotations(input.annotations ?? {}),
    ...(input.tagMutability === undefined ? {} : { tagMutability: input.tagMutability }),
  };
}

/** The repository's config; throws {@link RepositoryNotConfiguredError} when it has none. */
export async function requireRepositoryConfig(
  store: Pick<VersionStore, 'getRepositoryConfig'>,
  repository: string,
): Promise<RepositoryConfig> {
  const config = await store.getRepositoryConfig(repository);
  if (config === undefined) throw new RepositoryNotConfiguredError(repository);
  return config;
}

const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `30m`, `6h`, `2d` → milliseconds. Throws naming the field. */
export function parseDuration(text: string, field = 'duration'): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new InvalidInputError(`${field}: "${text}" is not a duration like 30m, 6h or 2d`, field);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms < 60_000) throw new InvalidInputError(`${field}: "${text}" is shorter than a minute`, field);
  return ms;
}

/** Milliseconds → the largest whole unit (`2h`, not `120m`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
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

/**
 * Checks one target tag template, naming `field` in the error. An exact template (with `{version}`)
 * has no other placeholder; a floating one holds only `{major}`, `{minor}`, `{patch}` (each once, and
 * a later part only with the earlier ones: a floating tag names a release line, so `{minor}` alone
 * would let 3.2.0 move the tag that 2.2.x holds). Either must render a valid tag.
 */
export function checkTargetTemplate(template: string, field: string): void {
  const placeholders: string[] = template.match(/\{[^{}]*\}/g) ?? [];
  let sample: string;
  if (!isFloatingTemplate(template)) {
    const other = placeholders.find((p) => p !== '{version}');
    if (other !== undefined) {
      throw new InvalidInputError(
        `${field}: "${template}" has ${other}; {version} is the only placeholder of an exact template (one with {version})`,
        field,
      );
    }
    sample = formatTargetTag(template, '1.0');
  } else {
    const unknown = placeholders.find((p) => !(FLOATING_PLACEHOLDERS as readonly string[]).includes(p));
    if (unknown !== undefined) {
      throw new InvalidInputError(
        `${field}: "${template}" has ${unknown}; a floating template (one without {version}) may hold only {major}, {minor} and {patch}`,
        field,
      );
    }
    const twice = placeholders.find((p, i) => placeholders.indexOf(p) !== i);
    if (twice !== undefined) throw new InvalidInputError(`${field}: "${template}" has ${twice} twice`, field);
    if (
      (placeholders.includes('{minor}') && !placeholders.includes('{major}')) ||
      (placeholders.includes('{patch}') && !placeholders.includes('{minor}'))
    ) {
      throw new InvalidInputError(
        `${field}: "${template}" names a release line without its earlier parts: use {major}, {major}.{minor} or {major}.{minor}.{patch}`,
        field,
      );
    }
    sample = formatFloatingTag(template, { major: 1, minor: 2, patch: 3 });
  }
  if (!TAG_SYNTAX.test(sample) || /[{}]/.test(sample)) {
    throw new InvalidInputError(
      `${field}: "${template}" does not make a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}), e.g. "${sample}"`,
      field,
    );
  }
}

/** Versions every template is rendered for, to find two templates that would fight over one tag. */
const SAMPLE_VERSIONS: readonly Semver[] = [
  { prefix: '', major: 1, minor: 2, patch: 3, prerelease: [], build: [] },
  { prefix: 'v', major: 1, minor: 2, patch: 3, prerelease: [], build: [] },
  { prefix: '', major: 10, minor: 20, patch: 30, prerelease: [], build: [] },
];

/**
 * The list as a whole: no template twice, no two templates rendering one tag for the same version
 * (`{version}` and `{major}.{minor}.{patch}` both make `1.2.3`), and at least one exact template,
 * since a version that is not semver moves no floating tag and would otherwise publish nowhere.
 */
function checkTargetTagList(targetTags: readonly string[]): void {
  if (new Set(targetTags).size !== targetTags.length) {
    throw new InvalidInputError('targetTags has the same template twice', 'targetTags');
  }
  for (const semver of SAMPLE_VERSIONS) {
    const version = formatSemver(semver);
    const firstMaking = new Map<string, number>();
    for (const [i, template] of targetTags.entries()) {
      const tag = isFloatingTemplate(template) ? formatFloatingTag(template, semver) : formatTargetTag(template, version);
      const first = firstMaking.get(tag);
      if (first !== undefined) {
        throw new InvalidInputError(
          `targetTags[${i}]: "${template}" makes the same tag as targetTags[${first}] ("${targetTags[first]}"): both make "${tag}" for version ${version}`,
          `targetTags[${i}]`,
        );
      }
      firstMaking.set(tag, i);
    }
  }
  if (targetTags.every(isFloatingTemplate)) {
    throw new InvalidInputError(
      `targetTags: every template is floating (${targetTags.join(', ')}); add an exact one with {version}, such as "{version}": ` +
        'a pre-release or a version that is not semver moves no floating tag, so it would be published under no tag at all',
      'targetTags',
    );
  }
}
