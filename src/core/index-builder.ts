import { indexAnnotations } from './annotations.ts';
import type { Descriptor, RawManifest } from './descriptor.ts';
import { computeDigest } from './digest.ts';
import { MediaTypes } from './media-types.ts';
import { platformToJson } from './platform.ts';
import type { IndexMediaTypeChoice, RepositoryConfig } from './repository-config.ts';
import type { RecordedImage } from './version-record.ts';

export interface BuiltIndex {
  readonly manifest: RawManifest;
  /** Attestations left out because a Docker manifest list cannot carry the annotations that tie them to their image. */
  readonly omittedAttestations: number;
  /** Keys of the index annotations left out because the index is a Docker manifest list, which has no annotations. */
  readonly omittedAnnotations: readonly string[];
}

/**
 * Builds the index (or manifest list) for a version's images.
 *
 * Deterministic: children in platform order, each image followed by its attestations (by digest),
 * keys in a fixed order, no whitespace — equal inputs give byte-identical output and so one digest.
 * Child descriptors are the recorded digest, size and media type: the exact bytes the registry stores.
 *
 * Media type (`indexMediaType`, docs/configuration.md): `auto` gives a Docker manifest list when
 * every child is a Docker v2 manifest (attestations are OCI manifests, so their presence means an OCI
 * index), else an OCI index.
 *
 * Annotations: those the images inherit, merged with `configured` (see {@link indexAnnotations}),
 * written last and sorted, and only when there are some, so an index without any keeps the bytes
 * it had before annotations existed. Only an OCI index has them: the Docker list schema has no
 * such field. The index never carries `platform.features`, `artifactType` or `subject`: ECR
 * refuses lists with `platform.features` (aws/containers-roadmap#2439) and none of them has a
 * meaning for a multi-arch index.
 */
export function buildIndex(
  images: readonly RecordedImage[],
  choice: IndexMediaTypeChoice,
  configured: Readonly<Record<string, string>> = {},
): BuiltIndex {
  const ordered = [...images].sort((a, b) => compare(a.key, b.key));
  const withAttestations = ordered.flatMap((image) => [image.mediaType, ...image.attestations.map((a) => a.mediaType)]);
  const mediaType = chooseMediaType(withAttestations, choice);
  const isDocker = mediaType === MediaTypes.dockerManifestList;
  let omittedAttestations = 0;
  const manifests: Record<string, unknown>[] = [];
  for (const image of ordered) {
    manifests.push({ mediaType: image.mediaType, digest: image.digest, size: image.size, platform: platformToJson(image.platform) });
    if (isDocker) {
      omittedAttestations += image.attestations.length;
      continue;
    }
    for (const attestation of [...image.attestations].sort((a, b) => compare(a.digest, b.digest))) {
      manifests.push(attestationEntry(attestation));
    }
  }
  const annotations = indexAnnotations(ordered, configured);
  const keys = Object.keys(annotations);
  const withAnnotations = !isDocker && keys.length > 0;
  const bytes = new TextEncoder().encode(
    JSON.stringify({ schemaVersion: 2, mediaType, manifests, ...(withAnnotations ? { annotations } : {}) }),
  );
  return {
    manifest: { mediaType, digest: computeDigest(bytes), size: bytes.byteLength, bytes },
    omittedAttestations,
    omittedAnnotations: isDocker ? keys : [],
  };
}

function chooseMediaType(childMediaTypes: readonly string[], choice: IndexMediaTypeChoice): string {
  if (choice === 'oci') return MediaTypes.ociIndex;
  if (choice === 'docker') return MediaTypes.dockerManifestList;
  return childMediaTypes.length > 0 && childMediaTypes.every((m) => m === MediaTypes.dockerManifest)
    ? MediaTypes.dockerManifestList
    : MediaTypes.ociIndex;
}

function attestationEntry(attestation: Descriptor): Record<string, unknown> {
  return {
    mediaType: attestation.mediaType,
    digest: attestation.digest,
    size: attestation.size,
    ...(attestation.artifactType ? { artifactType: attestation.artifactType } : {}),
    platform: { architecture: 'unknown', os: 'unknown' },
    ...(attestation.annotations ? { annotations: sortedRecord(attestation.annotations) } : {}),
  };
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compare(a, b)));
}

// Code-unit order, not locale order: the bytes must not depend on the machine's locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The index of a version under its repository's config: the one way src/ builds it, so the
 * publisher, the re-apply dry run and the replication check always produce the same bytes.
 */
export function buildVersionIndex(
  images: readonly RecordedImage[],
  config: Pick<RepositoryConfig, 'indexMediaType' | 'annotations'>,
): BuiltIndex {
  return buildIndex(images, config.indexMediaType, config.annotations);
}
