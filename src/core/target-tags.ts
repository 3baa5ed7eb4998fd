import { isFloatingTemplate } from './exact-target-tags.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { isRelease, parseSemver, type Semver } from './semver.ts';

export { exactTargetTags, isFloatingTemplate } from './exact-target-tags.ts';

/**
 * Target tag templates come in two kinds. A template with `{version}` is exact: it always follows its
 * version. Any other is floating (`latest`, `{major}`, `{major}.{minor}`, `v{major}`): it moves only
 * forward, to the highest release published (see floating-pointer.ts for how that is kept).
 */

/** The placeholders a floating template may hold, each standing for that part of a semver release. */
export const FLOATING_PLACEHOLDERS = ['{major}', '{minor}', '{patch}'] as const;

/** A floating template rendered for one release: `{major}.{minor}` and 2.7.1 → `2.7`. */
export function formatFloatingTag(template: string, version: Pick<Semver, 'major' | 'minor' | 'patch'>): string {
  return template
    .replaceAll('{major}', String(version.major))
    .replaceAll('{minor}', String(version.minor))
    .replaceAll('{patch}', String(version.patch));
}

/** The floating templates of a config, in config order. */
export function floatingTemplates(config: Pick<RepositoryConfig, 'targetTags'>): string[] {
  return config.targetTags.filter(isFloatingTemplate);
}

/**
 * The floating tags a version may move: each floating template rendered, when the version is a
 * semver release; none for a pre-release or a version that is not semver.
 */
export function floatingTargetTags(config: Pick<RepositoryConfig, 'targetTags'>, version: string): string[] {
  const semver = parseSemver(version);
  if (semver === undefined || !isRelease(semver)) return [];
  return [...new Set(floatingTemplates(config).map((template) => formatFloatingTag(template, semver)))];
}
