import { gzipSync } from 'node:zlib';
import { computeDigest } from '../../src/core/digest.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { readBusybox, type TestArch } from './busybox.ts';
import {
  attestationConfigDocument,
  attestationManifestDocument,
  buildxIndexDocument,
  FORMAT_TYPES,
  type ImageFormat,
  IN_TOTO,
  imageManifestDocument,
} from './image-documents.ts';
import { encodeJson, type PushedContent, pushBlob, pushRawManifest, type RegistryTarget } from './registry-push.ts';
import { buildTar } from './tar.ts';

export { type TestArch, TestArches } from './busybox.ts';
export type { ImageFormat } from './image-documents.ts';
export { encodeJson, type PushedContent, pushBlob, pushRawManifest, putRawManifest, type RegistryTarget } from './registry-push.ts';

/**
 * Real per-architecture test images, built offline: a busybox layer from Debian's busybox-static,
 * a correct image config and a manifest (OCI or Docker v2), pushed over plain HTTP.
 * The same arguments always give the same bytes; a different `label` gives a different config and
 * so a new manifest digest (a "rebuild").
 */

export interface ImagePlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface ImageOptions {
  readonly arch: TestArch;
  readonly format: ImageFormat;
  /** Stored as the config label `org.example.build`: a new label is a rebuild with a new digest. */
  readonly label?: string;
  /** What the config claims instead of the real platform (a cross-compiled image labelled with the build host's arch). */
  readonly configPlatform?: ImagePlatform;
  /** More config labels (`org.opencontainers.image.source`…), as `docker build --label` or metadata-action set them. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The config's `created` time (default {@link IMAGE_CREATED}). */
  readonly created?: string;
}

export interface Blob extends PushedContent {
  readonly bytes: Uint8Array;
}

export interface BuiltImage extends Blob {
  /** The platform the config states (the real one unless `configPlatform` was given). */
  readonly platform: ImagePlatform;
  readonly config: Blob;
  readonly layer: Blob & { readonly diffId: string };
}

/** Where each architecture's busybox really runs. */
export const ARCH_PLATFORMS: Record<TestArch, ImagePlatform> = {
  amd64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
};

/** The `created` time of every test image unless one is given: fixed, so the bytes are too. */
export const IMAGE_CREATED = '2000-01-01T00:00:00Z';
const CREATED = IMAGE_CREATED;

interface Layer {
  readonly gzipped: Uint8Array;
  /** The sha256 of `gzipped`, computed once: the bench builds hundreds of images per arch. */
  readonly digest: string;
  readonly diffId: string;
}

// Building a layer reads a .deb and gzips ~2 MB; pushes of the same arch reuse it.
const layers = new Map<TestArch, Layer>();

function buildLayer(arch: TestArch): Layer {
  const cached = layers.get(arch);
  if (cached !== undefined) return cached;
  const tar = buildTar([
    { type: 'directory', path: 'bin' },
    { type: 'file', path: 'bin/busybox', content: readBusybox(arch), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  ]);
  // Node's gzip header carries no file name and mtime 0, so the output depends only on the input.
  const gzipped = new Uint8Array(gzipSync(tar, { level: 6 }));
  const layer = { gzipped, digest: computeDigest(gzipped), diffId: computeDigest(tar) };
  layers.set(arch, layer);
  return layer;
}

function blob(mediaType: string, bytes: Uint8Array): Blob {
  return { mediaType, digest: computeDigest(bytes), size: bytes.length, bytes };
}

function platformJson(platform: ImagePlatform): Record<string, string> {
  return platform.variant === undefined
    ? { architecture: platform.architecture, os: platform.os }
    : { architecture: platform.architecture, os: platform.os, variant: platform.variant };
}

/** Builds (without pushing) the layer, config and manifest of a busybox image. */
export function buildImage(options: ImageOptions): BuiltImage {
  const types = FORMAT_TYPES[options.format];
  const platform = options.configPlatform ?? ARCH_PLATFORMS[options.arch];
  const { gzipped, digest, diffId } = buildLayer(options.arch);
  const layer = { mediaType: types.layer, digest, size: gzipped.length, bytes: gzipped, diffId };
  const config = blob(
    types.config,
    encodeJson({
      ...platformJson(platform),
      created: options.created ?? CREATED,
      config: {
        Cmd: ['/bin/sh'],
        Env: ['PATH=/bin'],
        Labels: { ...(options.label === undefined ? {} : { 'org.example.build': options.label }), ...options.labels },
      },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: CREATED, created_by: 'test/support/images.ts: busybox-static' }],
    }),
  );
  const manifest = blob(types.manifest, encodeJson(imageManifestDocument(options.format, config, [layer])));
  return { ...manifest, platform, config, layer };
}

/**
 * Pushes a busybox image for `arch` and its blobs; under `tag`, or by digest only when `tag` is undefined
 * (as buildx and skopeo push the children of an index).
 */
export async function pushImage(
  target: RegistryTarget,
  repository: string,
  tag: string | undefined,
  options: ImageOptions,
): Promise<BuiltImage> {
  const image = buildImage(options);
  await pushBlob(target, repository, image.layer.bytes, image.layer.mediaType);
  await pushBlob(target, repository, image.config.bytes, image.config.mediaType);
  try {
    await pushRawManifest(target, repository, tag ?? image.digest, image.bytes, image.mediaType);
  } catch (error) {
    // Seen once in a full parallel run: the registry refused the manifest because a blob it had just
    // accepted (a cross-repository mount) was not linked in this repository. Upload both blobs again
    // without mounting and retry once; this helper pushes fixtures, it is not what is under test.
    if (!String(error).includes('MANIFEST_BLOB_UNKNOWN')) throw error;
    await pushBlob(target, repository, image.layer.bytes, image.layer.mediaType, { mount: false });
    await pushBlob(target, repository, image.config.bytes, image.config.mediaType, { mount: false });
    await pushRawManifest(target, repository, tag ?? image.digest, image.bytes, image.mediaType);
  }
  return image;
}

export interface BuildxStyleIndex extends Blob {
  readonly image: BuiltImage;
  readonly attestation: Blob;
}

/**
 * Pushes what `docker buildx build --platform linux/<arch> --push` pushes with provenance on: the image
 * and an attestation manifest by digest, then an OCI index under `tag` holding both. The attestation
 * child has platform unknown/unknown and the BuildKit reference annotations; its layer is an in-toto
 * statement about the image.
 */
export async function pushBuildxStyleIndex(
  target: RegistryTarget,
  repository: string,
  tag: string,
  arch: TestArch,
  options: { label?: string } = {},
): Promise<BuildxStyleIndex> {
  const image = await pushImage(target, repository, undefined, { arch, format: 'oci', label: options.label });
  const attestation = buildAttestation(repository, tag, image);
  const index = blob(MediaTypes.ociIndex, encodeJson(buildxIndexDocument(image, platformJson(image.platform), attestation.manifest)));
  for (const b of [attestation.statement, attestation.config]) await pushBlob(target, repository, b.bytes, b.mediaType);
  await pushRawManifest(target, repository, attestation.manifest.digest, attestation.manifest.bytes, attestation.manifest.mediaType);
  await pushRawManifest(target, repository, tag, index.bytes, index.mediaType);
  return { ...index, image, attestation: attestation.manifest };
}

function buildAttestation(repository: string, tag: string, image: BuiltImage): { statement: Blob; config: Blob; manifest: Blob } {
  const platform = encodeURIComponent(
    `${image.platform.os}/${image.platform.architecture}${image.platform.variant ? `/${image.platform.variant}` : ''}`,
  );
  const statement = blob(
    IN_TOTO.mediaType,
    encodeJson({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: IN_TOTO.predicateType,
      subject: [{ name: `pkg:docker/${repository}@${tag}?platform=${platform}`, digest: { sha256: image.digest.slice('sha256:'.length) } }],
      predicate: { builder: { id: '' }, buildType: 'https://mobyproject.org/buildkit@v1', metadata: { buildStartedOn: CREATED } },
    }),
  );
  const config = blob(MediaTypes.ociConfig, encodeJson(attestationConfigDocument([statement.digest])));
  const manifest = blob(MediaTypes.ociManifest, encodeJson(attestationManifestDocument(config, statement)));
  return { statement, config, manifest };
}
