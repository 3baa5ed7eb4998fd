import { buildVersionIndex } from './index-builder.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { formatTargetTag } from './tag-pattern.ts';
import type { RecordedImage } from './version-record.ts';

/** The versions whose target tag `tag` could be: each template read backwards. */
export function versionsForTargetTag(config: RepositoryConfig, tag: string): string[] {
  const versions = new Set<string>();
  for (const template of config.targetTags) {
    const at = template.indexOf('{version}');
    if (at < 0) continue;
    const prefix = template.slice(0, at);
    const suffix = template.slice(template.lastIndexOf('{version}') + '{version}'.length);
    if (!tag.startsWith(prefix) || !tag.endsWith(suffix) || tag.length <= prefix.length + suffix.length) continue;
    // With {version} more than once, the first occurrence is read and the whole template checked.
    const end = template.indexOf('{version}', at + 1) < 0 ? tag.length - suffix.length : undefined;
    const candidates = end !== undefined ? [tag.slice(prefix.length, end)] : everyPrefix(tag.slice(prefix.length));
    for (const version of candidates) if (formatTargetTag(template, version) === tag) versions.add(version);
  }
  return [...versions];
}

function everyPrefix(text: string): string[] {
  return Array.from({ length: text.length }, (_, i) => text.slice(0, i + 1));
}

/**
 * Whether an index pushed under a tag is one this service assembled (in this deployment or another,
 * e.g. replicated from another region): building an index from the images it holds gives back the
 * very same bytes. Our builder's output is canonical (fixed key order, no whitespace), which a
 * builder's per-arch index is not, so such a push is never mistaken for a per-arch push.
 */
export function isAssembledIndex(images: readonly RecordedImage[], digest: string, config: RepositoryConfig): boolean {
  if (images.length === 0 || images.some((image) => image.digest === digest)) return false;
  return buildVersionIndex(images, config).manifest.digest === digest;
}
