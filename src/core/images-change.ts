import type { ImagesChange } from './ports.ts';
import type { RecordedImage, VersionRecord } from './version-record.ts';

export type ImagesPlan =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'change'; readonly change: ImagesChange }
  /** Another per-arch tag already holds a different image for this platform. */
  | { readonly kind: 'contested'; readonly existing: RecordedImage; readonly incoming: RecordedImage };

/**
 * What recording the images a per-arch tag points to changes in a version's record.
 *
 * The tag's images replace whatever the same tag gave before (a rebuild, or a tag that now holds
 * other platforms). An image of the same platform from another tag is contested unless it is the
 * same digest; `replaceable` lists the keys whose holder is known to be gone (its tag moved), which
 * may then be replaced.
 */
export function planImagesChange(
  record: Pick<VersionRecord, 'images'> | undefined,
  tag: string,
  incoming: readonly RecordedImage[],
  replaceable: ReadonlySet<string> = new Set(),
): ImagesPlan {
  const current = record?.images ?? {};
  const set: RecordedImage[] = [];
  for (const image of incoming) {
    const existing = current[image.key];
    if (existing === undefined) {
      set.push(image);
    } else if (existing.tag === tag || replaceable.has(image.key)) {
      if (!isSameImage(existing, image)) set.push(existing.digest === image.digest ? { ...image, pushedAt: existing.pushedAt } : image);
    } else if (existing.digest !== image.digest) {
      return { kind: 'contested', existing, incoming: image };
    }
    // Same digest under a second per-arch tag: the first one stays, nothing changes.
  }
  const incomingKeys = new Set(incoming.map((i) => i.key));
  const remove = Object.values(current)
    .filter((image) => image.tag === tag && !incomingKeys.has(image.key))
    .map((image) => image.key);
  return set.length === 0 && remove.length === 0 ? { kind: 'unchanged' } : { kind: 'change', change: { set, remove } };
}

function isSameImage(a: RecordedImage, b: RecordedImage): boolean {
  return (
    a.digest === b.digest &&
    a.tag === b.tag &&
    a.sourceDigest === b.sourceDigest &&
    a.attestations.length === b.attestations.length &&
    a.attestations.every((att, i) => att.digest === b.attestations[i]?.digest)
  );
}
