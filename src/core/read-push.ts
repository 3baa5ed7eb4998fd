import type { Descriptor, RawManifest } from './descriptor.ts';
import { computeDigest } from './digest.ts';
import { describeError, UnsupportedManifestError } from './errors.ts';
import { type ImageConfigMetadata, readImageConfigMetadata } from './image-config-metadata.ts';
import { type ImageManifest, parseManifest } from './manifest.ts';
import { Annotations, isImageManifestMediaType, Limits } from './media-types.ts';
import { formatPlatform, isUnknownPlatform, normalisePlatform, type Platform, parsePlatform, platformFromJson } from './platform.ts';
import type { ImageRegistry } from './ports.ts';
import type { RecordedImage } from './version-record.ts';

export interface PushToRead {
  readonly repository: string;
  readonly digest: string;
  readonly tag: string;
  /** The platform the repository's `platformOverrides` assigns to this tag, if any. */
  readonly override?: string | undefined;
  readonly pushedAt: string;
  /**
   * The config the delivering system says the pushed manifest references (the local stack's
   * registry names it in its notification): read beside the manifest, and used only if the
   * manifest names exactly this config. Otherwise the manifest's own config is read after it.
   */
  readonly configHint?: Descriptor | undefined;
}

export interface ReadPush {
  readonly images: RecordedImage[];
  /**
   * Children passed over, each with the reason (nested indexes, unknown platforms…), and labels of
   * an image config that were not kept, for the log.
   */
  readonly skipped: string[];
}

/**
 * Reads what a per-arch tag points to (docs/architecture.md, "How a push becomes an index", step 2):
 * an image manifest gives one image, whose platform comes from its config blob (or the override); an
 * index gives one image per child with a real platform, each carrying the attestation manifests that
 * describe it. Every image's config is read, also when the platform is known without it: its
 * `org.opencontainers.image.*` labels and `created` time are what the index inherits as annotations.
 */
export async function readPushedImages(registry: ImageRegistry, push: PushToRead): Promise<ReadPush> {
  return startReadingPush(registry, push).images;
}

/** {@link readPushedImages}, started, with the moment the pushed manifest itself has been read. */
export interface PushReading {
  /** Settles once the pushed manifest is read (its config or children may still be in flight). */
  readonly manifest: Promise<unknown>;
  readonly images: Promise<ReadPush>;
}

/** Starts {@link readPushedImages}; the caller may act once the pushed manifest is read (record-push.ts). */
export function startReadingPush(registry: ImageRegistry, push: PushToRead): PushReading {
  const manifest = registry.fetchManifest(push.repository, push.digest);
  const hint = push.configHint;
  const hinted = hint === undefined ? undefined : { hint, bytes: registry.fetchBlob(push.repository, hint, Limits.configBytes) };
  // Judged only if the manifest names this config; otherwise nobody waits for it.
  hinted?.bytes.catch(() => undefined);
  return { manifest, images: readFrom(registry, push, manifest, hinted) };
}

/** A config read on a hint, before the manifest that should name it was read. */
type HintedConfig = { readonly hint: Descriptor; readonly bytes: Promise<Uint8Array> };

async function readFrom(
  registry: ImageRegistry,
  push: PushToRead,
  fetched: Promise<RawManifest>,
  hinted: HintedConfig | undefined,
): Promise<ReadPush> {
  const root = parseManifest(checkFetchedManifest(await fetched, push.digest));
  if (root.kind === 'image') {
    const named = hinted !== undefined && hinted.hint.digest === root.config.digest && hinted.hint.size === root.config.size;
    const config = await readImageConfig(registry, push.repository, root, named ? hinted.bytes : undefined);
    const platform = push.override !== undefined ? parsePlatform(push.override) : configPlatform(config, root);
    if (isUnknownPlatform(platform)) return { images: [], skipped: [`${push.digest} is an attestation (platform unknown/unknown)`] };
    const metadata = configMetadata(config, root);
    return { images: [toRecord(root.raw, platform, [], push, metadata)], skipped: [...metadata.notes] };
  }

  const attestations = root.manifests.filter(isAttestation);
  const candidates = root.manifests.filter((child) => !isAttestation(child));
  const skipped: string[] = [];
  const images: RecordedImage[] = [];
  for (const child of candidates) {
    if (!isImageManifestMediaType(child.mediaType)) {
      skipped.push(`child ${child.digest} of ${push.digest} has media type ${child.mediaType}, not an image manifest`);
      continue;
    }
    const raw = checkFetchedManifest(await registry.fetchManifest(push.repository, child.digest), child.digest);
    checkChildDescriptor(child, raw, push.digest);
    const manifest = parseManifest(raw);
    if (manifest.kind !== 'image') {
      skipped.push(`child ${child.digest} of ${push.digest} is an index`);
      continue;
    }
    const config = await readImageConfig(registry, push.repository, manifest);
    const platform =
      push.override !== undefined && candidates.length === 1
        ? parsePlatform(push.override)
        : child.platform !== undefined
          ? normalise(child.platform, `platform of child ${child.digest}`)
          : configPlatform(config, manifest);
    if (isUnknownPlatform(platform)) {
      skipped.push(`child ${child.digest} of ${push.digest} has platform unknown/unknown`);
      continue;
    }
    const own = attestations.filter((a) => a.annotations?.[Annotations.referenceDigest] === child.digest);
    const metadata = configMetadata(config, manifest);
    skipped.push(...metadata.notes);
    const image = toRecord(raw, platform, own, push, metadata);
    // Two images of one platform in one pushed index: which one the index means is unknowable.
    const twin = images.find((other) => other.key === image.key);
    if (twin !== undefined) {
      throw new UnsupportedManifestError(
        `index ${push.digest} holds two images of platform ${image.key}: ${twin.digest} and ${image.digest}`,
        { digest: push.digest },
      );
    }
    images.push(image);
  }
  return { images, skipped };
}

/** BuildKit marks attestation manifests with `unknown/unknown` and a reference-type annotation. */
export function isAttestation(descriptor: Descriptor): boolean {
  return (
    descriptor.annotations?.[Annotations.referenceType] === Annotations.attestationManifest ||
    (descriptor.platform !== undefined && isUnknownPlatform(descriptor.platform))
  );
}

/** A config blob, fetched, verified and parsed; `notJson` says why it could not be parsed. */
type ImageConfig = { readonly json: unknown } | { readonly notJson: string };

async function readImageConfig(
  registry: ImageRegistry,
  repository: string,
  manifest: ImageManifest,
  /** The config's bytes, already being read (by the same descriptor). */
  reading?: Promise<Uint8Array>,
): Promise<ImageConfig> {
  const bytes = await (reading ?? registry.fetchBlob(repository, manifest.config, Limits.configBytes));
  // Adapters verify too; checked again here because the platform decides where the image goes.
  const actual = computeDigest(bytes);
  if (actual !== manifest.config.digest) {
    throw new UnsupportedManifestError(
      `config ${manifest.config.digest} of ${manifest.raw.digest}: the registry served bytes that do not match it (${actual})`,
      {
        digest: manifest.raw.digest,
      },
    );
  }
  try {
    return { json: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
  } catch (error) {
    return { notJson: `config ${manifest.config.digest} of ${manifest.raw.digest} is not JSON: ${describeError(error)}` };
  }
}

// An image whose platform comes from elsewhere (an override, its index) is recorded even when its
// config cannot be read; it just inherits nothing.
function configMetadata(config: ImageConfig, manifest: ImageManifest): ImageConfigMetadata {
  if ('notJson' in config) return { notes: [`${config.notJson}; its labels are not inherited`] };
  const metadata = readImageConfigMetadata(config.json);
  return { ...metadata, notes: metadata.notes.map((note) => `${note} (config of ${manifest.raw.digest})`) };
}

function configPlatform(config: ImageConfig, manifest: ImageManifest): Platform {
  if ('notJson' in config) throw new UnsupportedManifestError(config.notJson);
  const platform = platformFromJson(config.json);
  if (platform === undefined) {
    throw new UnsupportedManifestError(
      `config ${manifest.config.digest} of image ${manifest.raw.digest} has no architecture or os, so its platform is unknown; ` +
        'build it with a current builder, or map its tag to a platform with platformOverrides',
      { digest: manifest.raw.digest },
    );
  }
  return normalise(platform, `config ${manifest.config.digest}`);
}

function normalise(platform: Platform, what: string): Platform {
  try {
    return normalisePlatform(platform);
  } catch (error) {
    throw new UnsupportedManifestError(`${what}: ${describeError(error)}`);
  }
}

/**
 * The index we build references these exact bytes by digest and size, so they are checked here as
 * well as in the adapter: a registry (or proxy) that serves other bytes must not end up in an index.
 */
function checkFetchedManifest(raw: RawManifest, digest: string): RawManifest {
  const actual = computeDigest(raw.bytes);
  if (raw.digest !== digest || actual !== digest || raw.size !== raw.bytes.byteLength) {
    throw new UnsupportedManifestError(
      `manifest ${digest}: the registry served ${raw.bytes.byteLength} bytes that do not match it (they hash to ${actual})`,
      { digest },
    );
  }
  if (raw.bytes.byteLength > Limits.manifestBytes) {
    throw new UnsupportedManifestError(`manifest ${digest} is ${raw.bytes.byteLength} bytes, more than ${Limits.manifestBytes}`, {
      digest,
    });
  }
  return raw;
}

// The index we build references the child by what the registry stores; a pushed index that lies
// about a child's size or type would make ours lie too.
function checkChildDescriptor(child: Descriptor, raw: RawManifest, parent: string): void {
  if (raw.size !== child.size || raw.mediaType !== child.mediaType) {
    throw new UnsupportedManifestError(
      `index ${parent} describes child ${child.digest} as ${child.mediaType}, ${child.size} bytes, but the registry holds ${raw.mediaType}, ${raw.size} bytes`,
      { digest: parent },
    );
  }
}

function toRecord(
  raw: RawManifest,
  platform: Platform,
  attestations: Descriptor[],
  push: PushToRead,
  metadata: ImageConfigMetadata,
): RecordedImage {
  return {
    key: formatPlatform(platform),
    platform,
    digest: raw.digest,
    mediaType: raw.mediaType,
    size: raw.size,
    tag: push.tag,
    sourceDigest: push.digest,
    pushedAt: push.pushedAt,
    attestations: attestations.map((a) => ({ ...a })),
    ...(metadata.labels === undefined ? {} : { labels: metadata.labels }),
    ...(metadata.created === undefined ? {} : { created: metadata.created }),
  };
}
