import { Annotations, MediaTypes } from '../../src/core/media-types.ts';

/**
 * The JSON documents a per-arch build pushes, as plain values, for every test image builder: the real
 * busybox images (images.ts, pushed to a registry) and the in-memory registry's (in-memory-image-registry.ts).
 * The builders choose the config and layer content; the documents around them are written here once,
 * with a fixed key order, so equal inputs give equal bytes and digests.
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md
 * @see https://docs.docker.com/build/metadata/attestations/attestation-storage/
 */

export type ImageFormat = 'oci' | 'docker';

/** The media types of an image's manifest, config and layer, by format. */
export const FORMAT_TYPES = {
  oci: { manifest: MediaTypes.ociManifest, config: MediaTypes.ociConfig, layer: 'application/vnd.oci.image.layer.v1.tar+gzip' },
  docker: {
    manifest: MediaTypes.dockerManifest,
    config: MediaTypes.dockerConfig,
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

/** The three fields by which one document refers to another. */
export interface ContentRef {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

const ref = (content: ContentRef): ContentRef => ({ mediaType: content.mediaType, digest: content.digest, size: content.size });

/** An image manifest of `format` referring to its config blob and layers. */
export function imageManifestDocument(format: ImageFormat, config: ContentRef, layers: readonly ContentRef[]): Record<string, unknown> {
  const mediaType = FORMAT_TYPES[format].manifest;
  return { schemaVersion: 2, mediaType, config: ref(config), layers: layers.map(ref) };
}

/** The in-toto statement's media type and the predicate type BuildKit's provenance uses. */
export const IN_TOTO = { mediaType: 'application/vnd.in-toto+json', predicateType: 'https://slsa.dev/provenance/v0.2' } as const;

/** The config of a BuildKit attestation manifest: platform unknown/unknown, one layer per statement. */
export function attestationConfigDocument(statementDigests: readonly string[]): Record<string, unknown> {
  return { architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [...statementDigests] } };
}

/** A BuildKit attestation manifest: an OCI manifest whose one layer is an in-toto statement. */
export function attestationManifestDocument(config: ContentRef, statement: ContentRef): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: ref(config),
    layers: [{ ...ref(statement), annotations: { 'in-toto.io/predicate-type': IN_TOTO.predicateType } }],
  };
}

/**
 * What `docker buildx build --push` tags for one platform: an OCI index holding the image (with its
 * platform) and the attestation manifest (platform unknown/unknown, tied to the image by the
 * `vnd.docker.reference.*` annotations).
 */
export function buildxIndexDocument(
  image: ContentRef,
  platform: Record<string, unknown>,
  attestation: ContentRef,
): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      { ...ref(image), platform },
      {
        ...ref(attestation),
        annotations: { [Annotations.referenceDigest]: image.digest, [Annotations.referenceType]: Annotations.attestationManifest },
        platform: { architecture: 'unknown', os: 'unknown' },
      },
    ],
  };
}
