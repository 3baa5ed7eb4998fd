/**
 * Media types of the manifest formats manifest-assembler reads and writes.
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/media-types.md
 * @see https://github.com/distribution/distribution/blob/main/docs/content/spec/manifest-v2-2.md
 */
export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type MediaType = (typeof MediaTypes)[keyof typeof MediaTypes];

/** Every manifest and index media type: what a registry is asked for when fetching by digest. */
export const ACCEPTED_MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
];

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList;
}

export function isImageManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaTypes.ociManifest || mediaType === MediaTypes.dockerManifest;
}

export function isSchema1MediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaTypes.dockerSchema1 || mediaType === MediaTypes.dockerSchema1Signed;
}

/** Size caps on fetched content: a manifest larger than ECR accepts, or a config this big, is not an image we should trust. */
export const Limits = {
  manifestBytes: 4 * 1024 * 1024,
  configBytes: 8 * 1024 * 1024,
} as const;

/** The annotation BuildKit puts on attestation manifests inside an index. */
export const Annotations = {
  referenceType: 'vnd.docker.reference.type',
  referenceDigest: 'vnd.docker.reference.digest',
  attestationManifest: 'attestation-manifest',
} as const;
