import type { RepositoryConfig } from './repository-config.ts';
import { formatTargetTag } from './tag-pattern.ts';

// The exact half of target-tags.ts (which re-exports it), in a file of its own: recording a push
// needs only this, and the floating half (semver) then loads with the publish path
// (docs/performance.md, "Lambda bundles").

/** Whether a template is floating (it has no `{version}`). */
export function isFloatingTemplate(template: string): boolean {
  return !template.includes('{version}');
}

/** The exact tags of a version: its `{version}` templates rendered. */
export function exactTargetTags(config: Pick<RepositoryConfig, 'targetTags'>, version: string): string[] {
  return config.targetTags.filter((t) => !isFloatingTemplate(t)).map((template) => formatTargetTag(template, version));
}
