import { InvalidInputError } from './errors.ts';
import { formatPlatform, parsePlatform, type Platform } from './platform.ts';
import { checkTagPatternText, DEFAULT_TAG_PATTERN, formatTargetTag, TAG_SYNTAX } from './tag-pattern.ts';

export { DEFAULT_TAG_PATTERN };

/** How a repository's per-arch pushes become a published index (DESIGN §3). Platforms are stored normalised. */
export interface RepositoryConfig {
  readonly requiredPlatforms: readonly string[];
  readonly optionalPlatforms: readonly string[];
  readonly tagPattern: string;
  readonly targetTags: readonly string[];
  readonly indexMediaType: IndexMediaTypeChoice;
  readonly platformOverrides: Readonly<Record<string, string>>;
  /** A duration (`30m`, `6h`, `2d`) after the first push after which a version still missing platforms is `stale`; null: never. */
  readonly staleAfter: string | null;
  /** What a stale version does: keep waiting, or publish the platforms it has (and republish as the rest arrive). */
  readonly onStale: OnStaleChoice;
  /** What the reconciler does when someone else moved a published tag: report a conflict, or put our index back. */
  readonly onDrift: OnDriftChoice;
}

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
}

/**
 * Checks the meaning of a config (platforms parse, no duplicates, the pattern has a `version` group —
 * its RE2 syntax is checked by {@link compileTagPattern} —
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
  // The full RE2 check is asynchronous (re2js is loaded on demand): the API runs compileTagPattern before storing.
  checkTagPatternText(tagPattern);
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
    staleAfter: input.staleAfter == null ? null : formatDuration(parseDuration(input.staleAfter, 'staleAfter')),
    onStale: input.onStale ?? 'wait',
    onDrift: input.onDrift ?? 'report',
  };
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
