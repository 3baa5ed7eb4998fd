import { type Descriptor, isDigest, type RawManifest } from './descriptor.ts';
import { UnsupportedManifestError } from './errors.ts';
import { isImageManifestMediaType, isIndexMediaType, isSchema1MediaType, MediaTypes } from './media-types.ts';
import { platformFromJson } from './platform.ts';

/**
 * An image manifest (OCI or Docker v2 schema 2).
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md
 */
export interface ImageManifest {
  readonly kind: 'image';
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly raw: RawManifest;
}

/**
 * An OCI image index or a Docker manifest list.
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md
 */
export interface ImageIndex {
  readonly kind: 'index';
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
  readonly raw: RawManifest;
}

export type ParsedManifest = ImageManifest | ImageIndex;

/**
 * Parses manifest bytes. The media type is the one the registry served (`raw.mediaType`) and must
 * agree with the body's own `mediaType` when the body has one; schema 1 is refused.
 */
export function parseManifest(raw: RawManifest): ParsedManifest {
  const where = `manifest ${raw.digest}`;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw.bytes));
  } catch (error) {
    throw new UnsupportedManifestError(`${where} is not JSON: ${(error as Error).message}`, { digest: raw.digest });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UnsupportedManifestError(`${where} is not a JSON object`, { digest: raw.digest });
  }
  const record = body as Record<string, unknown>;
  if (record.schemaVersion === 1 || isSchema1MediaType(raw.mediaType)) {
    throw new UnsupportedManifestError(
      `${where} is a Docker schema 1 manifest, which is deprecated and cannot be part of an index; push the image again with a current client`,
      { digest: raw.digest },
    );
  }
  if (record.schemaVersion !== 2) {
    throw new UnsupportedManifestError(`${where} has schemaVersion ${JSON.stringify(record.schemaVersion)}; only 2 is supported`, {
      digest: raw.digest,
    });
  }
  const mediaType = resolveMediaType(raw, record);
  if (isIndexMediaType(mediaType)) {
    return { kind: 'index', mediaType, manifests: readDescriptors(record.manifests, 'manifests', where), raw: { ...raw, mediaType } };
  }
  const config = readDescriptor(record.config, 'config', where);
  return { kind: 'image', mediaType, config, layers: readDescriptors(record.layers ?? [], 'layers', where), raw: { ...raw, mediaType } };
}

function resolveMediaType(raw: RawManifest, body: Record<string, unknown>): string {
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  const served = isIndexMediaType(raw.mediaType) || isImageManifestMediaType(raw.mediaType) ? raw.mediaType : undefined;
  if (declared !== undefined && served !== undefined && declared !== served) {
    throw new UnsupportedManifestError(`manifest ${raw.digest} says mediaType ${declared} but was served as ${served}`, {
      digest: raw.digest,
    });
  }
  const mediaType = declared ?? served ?? inferMediaType(body);
  if (!isIndexMediaType(mediaType) && !isImageManifestMediaType(mediaType)) {
    throw new UnsupportedManifestError(
      `manifest ${raw.digest} has media type ${mediaType ?? '(none)'}, which is neither an image manifest nor an index`,
      { digest: raw.digest, mediaType },
    );
  }
  return mediaType as string;
}

// OCI lets `mediaType` be absent; the shape then tells which document this is.
function inferMediaType(body: Record<string, unknown>): string | undefined {
  if (Array.isArray(body.manifests)) return MediaTypes.ociIndex;
  if (typeof body.config === 'object' && body.config !== null) return MediaTypes.ociManifest;
  return undefined;
}

function readDescriptors(value: unknown, field: string, where: string): Descriptor[] {
  if (!Array.isArray(value)) throw new UnsupportedManifestError(`${where}: ${field} is not an array`);
  return value.map((item, i) => readDescriptor(item, `${field}[${i}]`, where));
}

function readDescriptor(value: unknown, field: string, where: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw new UnsupportedManifestError(`${where}: ${field} is not a descriptor`);
  const d = value as Record<string, unknown>;
  const { mediaType, digest, size, annotations, artifactType } = d;
  if (typeof mediaType !== 'string' || mediaType === '') throw new UnsupportedManifestError(`${where}: ${field}.mediaType is missing`);
  if (!isDigest(digest)) throw new UnsupportedManifestError(`${where}: ${field}.digest ${JSON.stringify(digest)} is not a sha256 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new UnsupportedManifestError(`${where}: ${field}.size ${JSON.stringify(size)} is not a byte count`);
  }
  const platform = d.platform === undefined ? undefined : platformFromJson(d.platform);
  return {
    mediaType,
    digest,
    size,
    ...(platform === undefined ? {} : { platform }),
    ...(isStringRecord(annotations) ? { annotations } : {}),
    ...(typeof artifactType === 'string' ? { artifactType } : {}),
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}
