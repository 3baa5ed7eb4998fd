import type { Descriptor, RawManifest } from '../../src/core/descriptor.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { isIndexMediaType, MediaTypes } from '../../src/core/media-types.ts';
import { type Platform, parsePlatform, platformToJson } from '../../src/core/platform.ts';
import type { ImageRegistry } from '../../src/core/ports.ts';
import {
  attestationConfigDocument,
  attestationManifestDocument,
  buildxIndexDocument,
  FORMAT_TYPES,
  type ImageFormat,
  IN_TOTO,
  imageManifestDocument,
} from './image-documents.ts';

export type { ImageFormat } from './image-documents.ts';

export type RegistryMethod = 'fetchManifest' | 'fetchBlob' | 'resolveTag' | 'putManifest' | 'listTags';

export interface AddImageOptions {
  /** `linux/arm64/v8` or a platform object; written into the config blob as a builder would. */
  readonly platform: string | Platform;
  readonly format?: ImageFormat;
  /** Tag the manifest after storing it (a per-arch push). */
  readonly tag?: string;
  /** A different label gives a different config and so a different digest: a rebuild. */
  readonly label?: string;
  /** Replaces the whole config body (e.g. one without `os`/`architecture`). */
  readonly config?: Record<string, unknown>;
  /** More config labels (`org.opencontainers.image.source`…), beside `org.example.build`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The config's `created` time; none when left out. */
  readonly created?: string;
}

export interface TestImage {
  readonly manifest: RawManifest;
  readonly config: Descriptor & { readonly bytes: Uint8Array };
  readonly platform: Platform;
}

export interface BuildxIndex {
  readonly index: RawManifest;
  readonly image: TestImage;
  readonly attestation: RawManifest;
}

interface Repository {
  readonly manifests: Map<string, RawManifest>;
  readonly blobs: Map<string, Uint8Array>;
  readonly tags: Map<string, string>;
  immutable: boolean;
}

export interface PutRecord {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly mediaType: string;
  /** What the put did: stored, or the error code it failed with. */
  readonly result: 'stored' | string;
}

/**
 * The {@link ImageRegistry} port in memory. Content is stored by digest per repository and tags map to
 * digests; putManifest checks what a registry checks (digest and size of the bytes, an index's
 * children present in the repository, immutable tags). Tests can make the next N calls of a method
 * fail, hook every call, and count calls and puts.
 */
export class InMemoryImageRegistry implements ImageRegistry {
  readonly #repositories = new Map<string, Repository>();
  readonly #failures = new Map<RegistryMethod, Array<() => RegistryError>>();
  /** Calls per method, failed ones included. */
  readonly calls: Record<RegistryMethod, number> = { fetchManifest: 0, fetchBlob: 0, resolveTag: 0, putManifest: 0, listTags: 0 };
  /** Every putManifest call in order, with its result. */
  readonly puts: PutRecord[] = [];
  /** Runs at the start of every port call, before any injected failure: tests move tags here mid-use-case. */
  beforeCall: ((method: RegistryMethod, args: readonly unknown[]) => void | Promise<void>) | undefined;

  async fetchManifest(repository: string, digest: string): Promise<RawManifest> {
    await this.#enter('fetchManifest', [repository, digest]);
    const manifest = this.#repo(repository).manifests.get(digest);
    if (manifest === undefined) {
      throw new RegistryError(ErrorCodes.notFound, `manifest ${repository}@${digest} not found`, { details: { repository, digest } });
    }
    return { ...manifest, bytes: manifest.bytes.slice() };
  }

  async fetchBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    await this.#enter('fetchBlob', [repository, descriptor, maxBytes]);
    const blob = this.#repo(repository).blobs.get(descriptor.digest);
    if (blob === undefined) {
      throw new RegistryError(ErrorCodes.notFound, `blob ${repository}@${descriptor.digest} not found`, {
        details: { repository, digest: descriptor.digest },
      });
    }
    if (blob.byteLength > maxBytes) {
      throw new RegistryError(ErrorCodes.tooLarge, `blob ${descriptor.digest} is ${blob.byteLength} bytes, more than ${maxBytes}`);
    }
    return blob.slice();
  }

  async resolveTag(repository: string, tag: string): Promise<string | undefined> {
    await this.#enter('resolveTag', [repository, tag]);
    return this.#repo(repository).tags.get(tag);
  }

  async putManifest(repository: string, tag: string, manifest: RawManifest): Promise<void> {
    const record = (result: string) => this.puts.push({ repository, tag, digest: manifest.digest, mediaType: manifest.mediaType, result });
    try {
      await this.#enter('putManifest', [repository, tag, manifest]);
      this.#checkPut(repository, tag, manifest);
    } catch (error) {
      record(error instanceof RegistryError ? error.code : 'error');
      throw error;
    }
    const repo = this.#repo(repository);
    repo.manifests.set(manifest.digest, { ...manifest, bytes: manifest.bytes.slice() });
    repo.tags.set(tag, manifest.digest);
    record('stored');
  }

  async listTags(repository: string): Promise<string[]> {
    await this.#enter('listTags', [repository]);
    return [...this.#repo(repository).tags.keys()].sort();
  }

  /** The next `count` calls of `method` throw `error` (a fresh one each time when given a factory). */
  failNext(method: RegistryMethod, count: number, error: RegistryError | (() => RegistryError)): void {
    const queue = this.#failures.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(typeof error === 'function' ? error : () => error);
    this.#failures.set(method, queue);
  }

  /** Tags of this repository may not move once set (ECR IMMUTABLE). */
  makeImmutable(repository: string): void {
    this.#repo(repository).immutable = true;
  }

  /** Successful puts of this digest (under any tag). */
  storedPuts(digest: string): number {
    return this.puts.filter((put) => put.digest === digest && put.result === 'stored').length;
  }

  /** Stores manifest bytes as a client pushed them, unchecked (schema 1, broken JSON…), optionally tagged. */
  storeManifest(repository: string, content: string | Uint8Array | object, mediaType: string, tag?: string): RawManifest {
    const bytes = toBytes(content);
    const raw: RawManifest = { mediaType, digest: computeDigest(bytes), size: bytes.byteLength, bytes };
    this.#repo(repository).manifests.set(raw.digest, raw);
    if (tag !== undefined) this.tag(repository, tag, raw.digest);
    return raw;
  }

  /** Stores a blob and returns its descriptor fields. */
  storeBlob(repository: string, content: string | Uint8Array | object): { digest: string; size: number; bytes: Uint8Array } {
    const bytes = toBytes(content);
    const digest = computeDigest(bytes);
    this.#repo(repository).blobs.set(digest, bytes);
    return { digest, size: bytes.byteLength, bytes };
  }

  /** Points a tag at a digest (a push of that tag), whether or not the content exists. */
  tag(repository: string, tag: string, digest: string): void {
    this.#repo(repository).tags.set(tag, digest);
  }

  untag(repository: string, tag: string): void {
    this.#repo(repository).tags.delete(tag);
  }

  /** The manifest a tag points to now. */
  manifestAt(repository: string, tag: string): RawManifest | undefined {
    const repo = this.#repo(repository);
    const digest = repo.tags.get(tag);
    return digest === undefined ? undefined : repo.manifests.get(digest);
  }

  hasManifest(repository: string, digest: string): boolean {
    return this.#repo(repository).manifests.has(digest);
  }

  /** Stores a config blob, a layer blob and an image manifest for a platform, as a per-arch build pushes them. */
  addImage(repository: string, options: AddImageOptions): TestImage {
    const format = options.format ?? 'oci';
    const types = FORMAT_TYPES[format];
    const platform = typeof options.platform === 'string' ? parsePlatform(options.platform) : options.platform;
    const label = options.label ?? 'build-1';
    const configBody = options.config ?? {
      ...platformToJson(platform),
      ...(options.created === undefined ? {} : { created: options.created }),
      config: { Labels: { 'org.example.build': label, ...options.labels } },
      rootfs: { type: 'layers', diff_ids: [computeDigest(new TextEncoder().encode(`layer ${label}`))] },
    };
    const config = this.storeBlob(repository, configBody);
    const layer = this.storeBlob(repository, `layer ${label} ${JSON.stringify(platformToJson(platform))}`);
    const manifest = this.storeManifest(
      repository,
      imageManifestDocument(format, { mediaType: types.config, ...config }, [{ mediaType: types.layer, ...layer }]),
      types.manifest,
      options.tag,
    );
    return { manifest, config: { mediaType: types.config, ...config }, platform };
  }

  /**
   * What `docker buildx build --push` stores for one platform: the image, a BuildKit attestation
   * manifest (config `unknown/unknown`, an in-toto layer) and an OCI index holding both, the
   * attestation marked with platform `unknown/unknown` and the `vnd.docker.reference.*` annotations.
   */
  addBuildxIndex(repository: string, options: Omit<AddImageOptions, 'format'> & { readonly format?: ImageFormat }): BuildxIndex {
    const image = this.addImage(repository, { ...options, tag: undefined });
    const attestationConfig = this.storeBlob(repository, attestationConfigDocument([]));
    const statement = this.storeBlob(repository, {
      _type: 'https://in-toto.io/Statement/v0.1',
      subject: [{ digest: image.manifest.digest }],
    });
    const attestation = this.storeManifest(
      repository,
      attestationManifestDocument(
        { mediaType: MediaTypes.ociConfig, ...attestationConfig },
        { mediaType: IN_TOTO.mediaType, ...statement },
      ),
      MediaTypes.ociManifest,
    );
    const index = this.storeManifest(
      repository,
      buildxIndexDocument(image.manifest, platformToJson(image.platform), attestation),
      MediaTypes.ociIndex,
      options.tag,
    );
    return { index, image, attestation };
  }

  async #enter(method: RegistryMethod, args: readonly unknown[]): Promise<void> {
    this.calls[method]++;
    await this.beforeCall?.(method, args);
    const failure = this.#failures.get(method)?.shift();
    if (failure !== undefined) throw failure();
  }

  #checkPut(repository: string, tag: string, manifest: RawManifest): void {
    const actual = computeDigest(manifest.bytes);
    if (actual !== manifest.digest || manifest.size !== manifest.bytes.byteLength) {
      throw new RegistryError(
        ErrorCodes.digestMismatch,
        `put of ${manifest.digest} (${manifest.size} bytes) has bytes ${actual} (${manifest.bytes.byteLength} bytes)`,
      );
    }
    const repo = this.#repo(repository);
    let body: { mediaType?: unknown; manifests?: Array<{ digest?: unknown }> };
    try {
      body = JSON.parse(new TextDecoder().decode(manifest.bytes)) as typeof body;
    } catch {
      throw new RegistryError(ErrorCodes.invalidInput, `put of ${manifest.digest}: manifest invalid: not JSON`);
    }
    if (body.mediaType !== manifest.mediaType) {
      throw new RegistryError(
        ErrorCodes.invalidInput,
        `put of ${manifest.digest}: body mediaType ${String(body.mediaType)} is not ${manifest.mediaType}`,
      );
    }
    if (isIndexMediaType(manifest.mediaType)) {
      const missing = (body.manifests ?? []).map((child) => String(child.digest)).filter((digest) => !repo.manifests.has(digest));
      if (missing.length > 0) {
        throw new RegistryError(
          ErrorCodes.referencedImagesNotFound,
          `Images with digests '[${missing.join(', ')}]' required for pushing image into repository ${repository} do not exist`,
          { retryable: true, details: { repository, missing } },
        );
      }
    }
    const current = repo.tags.get(tag);
    if (repo.immutable && current !== undefined && current !== manifest.digest) {
      throw new RegistryError(ErrorCodes.tagImmutable, `tag ${tag} in immutable repository ${repository} already points to ${current}`, {
        details: { repository, tag, digest: current },
      });
    }
  }

  #repo(repository: string): Repository {
    let repo = this.#repositories.get(repository);
    if (repo === undefined) {
      repo = { manifests: new Map(), blobs: new Map(), tags: new Map(), immutable: false };
      this.#repositories.set(repository, repo);
    }
    return repo;
  }
}

function toBytes(content: string | Uint8Array | object): Uint8Array {
  if (content instanceof Uint8Array) return content;
  // Pretty-printed like a real client, so nothing downstream can get away with re-serialising.
  return new TextEncoder().encode(typeof content === 'string' ? content : JSON.stringify(content, null, 3));
}
