import type { Descriptor, RawManifest } from './descriptor.ts';
import { computeDigest } from './digest.ts';
import { isRetryable } from './errors.ts';
import { type ImageManifest, parseManifest } from './manifest.ts';
import { isImageManifestMediaType, Limits } from './media-types.ts';
import { isUnknownPlatform } from './platform.ts';
import type { ImageRegistry } from './ports.ts';
import type { RecordedImage } from './version-record.ts';

/**
 * Marks left by the SOCI v2 converter (`soci convert`): the image manifests it re-serialises carry
 * the digest of their SOCI index, and each SOCI index entry names the image manifest it indexes.
 *
 * @see https://github.com/awslabs/soci-snapshotter/blob/main/docs/soci-index-manifest-v2.md
 */
export const SociV2 = {
  indexArtifactType: 'application/vnd.amazon.soci.index.v2+json',
  imageAnnotation: 'com.amazon.soci.index-digest',
  indexAnnotation: 'com.amazon.soci.image-manifest-digest',
} as const;

/** What a version tag holds, compared with the index manifest-assembler published (or is about to). */
export type TagHolding =
  | { readonly kind: 'absent' }
  | { readonly kind: 'ours' }
  /** A tool's manifest built on ours (a signature or SOCI index with ours as subject, a SOCI-enabled copy of our index): leave it. */
  | { readonly kind: 'builds-on-ours'; readonly digest: string; readonly note: string }
  | { readonly kind: 'foreign'; readonly digest: string };

/** Our index: its digest and the images (with their attestations) it references. */
export interface OurIndex {
  readonly digest: string;
  readonly images: readonly RecordedImage[];
}

/**
 * Decides whether what `tag` holds is ours, another tool's manifest built on ours, or foreign.
 *
 * Built on ours means either a manifest whose `subject` is our index (an OCI 1.1 referrer: a
 * Notation signature, a SOCI v1 index), or an index holding every image of ours, each by digest or
 * as a SOCI-enabled copy (same config and layers, the SOCI annotation added), with nothing else
 * but artifacts (SOCI indexes, attestations, anything with an `artifactType`): what `soci convert`
 * pushes over the tag. Another runnable image, or one of ours missing, makes it foreign. Content
 * that cannot be read counts as foreign: the caller then acts as it always did for a moved tag.
 */
export async function classifyTagHolder(
  registry: ImageRegistry,
  repository: string,
  tag: string,
  ours: OurIndex,
  actual?: string | undefined,
): Promise<TagHolding> {
  const digest = actual ?? (await registry.resolveTag(repository, tag));
  if (digest === undefined) return { kind: 'absent' };
  if (digest === ours.digest) return { kind: 'ours' };
  try {
    const raw = await fetchVerified(registry, repository, digest);
    const subject = subjectOf(raw);
    if (subject === ours.digest) {
      return {
        kind: 'builds-on-ours',
        digest,
        note: `${tag} holds ${digest}, ${describeArtifact(raw)} whose subject is the published index ${ours.digest}`,
      };
    }
    const parsed = parseManifest(raw);
    if (parsed.kind !== 'index') return { kind: 'foreign', digest };
    const found = await coveredImages(registry, repository, parsed.manifests, ours.images);
    // Something must have been added: our images alone in other bytes (another media type, an
    // older index of ours) are just another index, which a publish replaces.
    if (found === undefined || found.artifacts === 0 || found.covered.size < new Set(ours.images.map((i) => i.key)).size) {
      return { kind: 'foreign', digest };
    }
    const extras = found.artifacts;
    const soci = parsed.manifests.some(isSociIndex);
    return {
      kind: 'builds-on-ours',
      digest,
      note:
        `${tag} holds ${digest}, ${soci ? 'a SOCI-enabled index' : 'an index'} with every image of the published index ${ours.digest}` +
        ` plus ${extras} artifact${extras === 1 ? '' : 's'} added by another tool`,
    };
  } catch (error) {
    // An outage is not a verdict: the caller retries later. Unreadable content is not ours.
    if (isRetryable(error)) throw error;
    return { kind: 'foreign', digest };
  }
}

/**
 * The platforms of ours the children cover; undefined when a child is a runnable image that is not
 * one of ours (the index is then another image, not ours with additions).
 */
async function coveredImages(
  registry: ImageRegistry,
  repository: string,
  children: readonly Descriptor[],
  images: readonly RecordedImage[],
): Promise<{ covered: Set<string>; artifacts: number } | undefined> {
  const byDigest = new Map(images.map((image) => [image.digest, image]));
  const attestations = new Set(images.flatMap((image) => image.attestations.map((a) => a.digest)));
  const covered = new Set<string>();
  let artifacts = 0;
  let ourManifests: Map<string, ImageManifest> | undefined;
  for (const child of children) {
    const image = byDigest.get(child.digest);
    if (image !== undefined) {
      covered.add(image.key);
      continue;
    }
    if (attestations.has(child.digest)) continue;
    if (isArtifact(child)) {
      artifacts++;
      continue;
    }
    if (!isImageManifestMediaType(child.mediaType)) return undefined;
    const copy = parseManifest(await fetchVerified(registry, repository, child.digest));
    if (copy.kind !== 'image' || !hasSociAnnotation(child, copy.raw)) return undefined;
    ourManifests ??= await fetchImageManifests(registry, repository, images);
    const original = [...ourManifests.entries()].find(([, manifest]) => sameContent(manifest, copy));
    if (original === undefined) return undefined;
    covered.add(original[0]);
  }
  return { covered, artifacts };
}

async function fetchImageManifests(
  registry: ImageRegistry,
  repository: string,
  images: readonly RecordedImage[],
): Promise<Map<string, ImageManifest>> {
  const manifests = new Map<string, ImageManifest>();
  for (const image of images) {
    const parsed = parseManifest(await fetchVerified(registry, repository, image.digest));
    if (parsed.kind === 'image') manifests.set(image.key, parsed);
  }
  return manifests;
}

/** A SOCI-enabled copy runs exactly the same config and layers as the image it was made from. */
function sameContent(a: ImageManifest, b: ImageManifest): boolean {
  return (
    a.config.digest === b.config.digest &&
    a.layers.length === b.layers.length &&
    a.layers.every((layer, i) => layer.digest === b.layers[i]?.digest)
  );
}

function isSociIndex(child: Descriptor): boolean {
  return child.artifactType === SociV2.indexArtifactType || child.annotations?.[SociV2.indexAnnotation] !== undefined;
}

/** Not a runnable image: a SOCI index, an attestation, or any artifact. */
function isArtifact(child: Descriptor): boolean {
  return isSociIndex(child) || child.artifactType !== undefined || (child.platform !== undefined && isUnknownPlatform(child.platform));
}

function hasSociAnnotation(child: Descriptor, raw: RawManifest): boolean {
  return child.annotations?.[SociV2.imageAnnotation] !== undefined || annotationsOf(raw)[SociV2.imageAnnotation] !== undefined;
}

function jsonOf(raw: RawManifest): Record<string, unknown> {
  const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw.bytes));
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function subjectOf(raw: RawManifest): string | undefined {
  const subject = jsonOf(raw).subject;
  const digest = typeof subject === 'object' && subject !== null ? (subject as { digest?: unknown }).digest : undefined;
  return typeof digest === 'string' ? digest : undefined;
}

function annotationsOf(raw: RawManifest): Record<string, unknown> {
  const annotations = jsonOf(raw).annotations;
  return typeof annotations === 'object' && annotations !== null ? (annotations as Record<string, unknown>) : {};
}

function describeArtifact(raw: RawManifest): string {
  const body = jsonOf(raw);
  const config = body.config;
  const type =
    typeof body.artifactType === 'string'
      ? body.artifactType
      : typeof config === 'object' && config !== null && typeof (config as { mediaType?: unknown }).mediaType === 'string'
        ? (config as { mediaType: string }).mediaType
        : raw.mediaType;
  if (type === 'application/vnd.cncf.notary.signature') return 'a Notation signature';
  if (type === SociV2.indexArtifactType || type.startsWith('application/vnd.amazon.soci.index')) return 'a SOCI index';
  return `an artifact (${type})`;
}

/** Adapters verify too; checked here because the verdict decides whether a tag is left alone. */
async function fetchVerified(registry: ImageRegistry, repository: string, digest: string): Promise<RawManifest> {
  const raw = await registry.fetchManifest(repository, digest);
  if (computeDigest(raw.bytes) !== digest || raw.bytes.byteLength > Limits.manifestBytes) {
    throw new Error(`manifest ${digest}: the registry served bytes that do not match it`);
  }
  return raw;
}
