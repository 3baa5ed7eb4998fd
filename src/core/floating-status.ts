import { comparePointer, type FloatingPointer, floatingRank } from './floating-pointer.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { isRelease, parseSemver } from './semver.ts';
import { floatingTargetTags, floatingTemplates } from './target-tags.ts';
import type { VersionRecord } from './version-record.ts';

/** The tags that point at a version now, and plain sentences saying why a floating tag does not. */
export interface VersionTags {
  readonly tags: string[];
  readonly notes: string[];
}

/**
 * What a version holds: its exact tags once published, then the floating tags whose pointer names it,
 * in config order; and a note per floating tag that does not follow it (a pre-release, not semver,
 * a newer release holds it, a partial publish). `pointers` are the repository's, read once per page.
 */
export function describeVersionTags(
  record: VersionRecord,
  config: RepositoryConfig | undefined,
  pointers: readonly FloatingPointer[],
): VersionTags {
  const exact = record.published === undefined ? [] : [...record.published.tags];
  const templates = config === undefined ? [] : floatingTemplates(config);
  if (config === undefined || templates.length === 0) return { tags: exact, notes: [] };
  const { version } = record;
  const semver = parseSemver(version);
  const listed = templates.join(', ');
  if (semver === undefined)
    return { tags: exact, notes: [`${version} is not semver (major.minor.patch): floating tags (${listed}) never move to it`] };
  if (!isRelease(semver)) return { tags: exact, notes: [`${version} is a pre-release: floating tags (${listed}) do not move to it`] };

  const byTag = new Map(pointers.map((p) => [p.tag, p]));
  const published = record.published;
  const partial = (published?.missingPlatforms?.length ?? 0) > 0;
  const tags = [...exact];
  const notes: string[] = [];
  if (published !== undefined && partial)
    notes.push(`published partially: floating tags (${listed}) move to it once every required platform is in`);
  for (const tag of floatingTargetTags(config, version)) {
    const pointer = byTag.get(tag);
    if (pointer?.version === version) {
      tags.push(tag);
      continue;
    }
    const order = pointer === undefined ? 'older' : comparePointer(pointer, semver);
    if (pointer !== undefined && order !== 'older') {
      notes.push(
        `${tag} stays on ${pointer.version} (${order === 'newer' ? 'newer' : `same precedence as ${version}, ranked higher by name`})`,
      );
    } else if (published !== undefined && !partial && published.revision === record.revision) {
      // Published completely but the tag has not followed: a publish cut short, or a template added since.
      const rank = floatingRank(semver, version, published.revision);
      if (pointer === undefined || pointer.rank < rank) {
        notes.push(
          `${tag} ${pointer === undefined ? 'does not exist yet' : `is still on ${pointer.version}`}: it moves to ${version} at the next reconcile`,
        );
      }
    }
  }
  return { tags, notes };
}
