import { buildVersionIndex } from './index-builder.ts';
import { selectIndexImages } from './readiness.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { formatTargetTag } from './tag-pattern.ts';
import type { RecordedImage, VersionRecord } from './version-record.ts';

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
 * Why a push under `tag` is a version's own target tag rather than a per-arch push, or undefined.
 * A tag is a target tag when a recorded version (other than the one the tag pattern reads) names it;
 * this matters where versions contain the pattern's separator (version `1.0-rc1` publishes `1.0-rc1`,
 * which the default pattern reads as version `1.0`, platform `rc1`). Our own index arriving under it
 * without this store having put it (replicated from another region's deployment) is recognised by
 * building the index from the recorded images and comparing digests. `targets` holds the records of
 * the versions {@link versionsForTargetTag} names (read with the pushed version's record, in one go).
 */
export function versionTagReason(
  targets: ReadonlyMap<string, VersionRecord>,
  config: RepositoryConfig,
  repository: string,
  tag: string,
  digest: string,
  perArchVersion: string,
): string | undefined {
  for (const version of versionsForTargetTag(config, tag)) {
    if (version === perArchVersion) continue;
    const record = targets.get(version);
    if (record === undefined) continue;
    const images = selectIndexImages(config, record);
    const built = images.length === 0 ? undefined : buildVersionIndex(images, config).manifest.digest;
    if (digest === built || digest === record.published?.digest) {
      return `${repository}:${tag} holds the index of version ${version} built from its recorded images (replicated, or put by this service)`;
    }
    return `${repository}:${tag} is a target tag of version ${version}, not a per-arch tag; the reconciler checks what it holds`;
  }
  return undefined;
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
