import { type Descriptor, isDigest, type RawManifest } from '../../core/descriptor.ts';
import { computeDigest } from '../../core/digest.ts';
import { ErrorCodes, RegistryError } from '../../core/errors.ts';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, Limits } from '../../core/media-types.ts';
import type { ImageRegistry } from '../../core/ports.ts';
import { repositoryNameProblem } from '../../core/repository-name.ts';
import { TAG_SYNTAX } from '../../core/tag-pattern.ts';
import { readLimited } from '../http/read-limited-body.ts';
import type { Credentials } from './auth.ts';
import { RegistryHttpClient } from './client.ts';
import { nextPageLink } from './link.ts';
import { NodeHttpTransport } from './node-http-transport.ts';
import { describeRequest, type RequestContext } from './request-context.ts';
import type { HttpTransport, TransportResponse } from './transport.ts';

export interface OciHttpImageRegistryOptions {
  /** `http://127.0.0.1:5000` or `https://registry.example`; without `/v2`. */
  readonly baseUrl: string;
  readonly credentials?: Credentials | undefined;
  /** Default: a {@link NodeHttpTransport} of this registry's own (its kept connections). */
  readonly transport?: HttpTransport;
  /** Per request, body included. Default 30 s. */
  readonly timeoutMs?: number;
  /** Tags asked for per page of `tags/list`. Default 1000. */
  readonly tagPageSize?: number;
  /** Epoch milliseconds; for token expiry. Default `Date.now`. */
  readonly now?: () => number;
}

const TAG_LIST_PAGE_LIMIT = 4 * 1024 * 1024;
/** A registry whose `Link` pages never end is broken; stop rather than loop. */
const MAX_TAG_PAGES = 10_000;

/**
 * {@link ImageRegistry} over the OCI distribution HTTP API: the CNCF registry of the local stack,
 * or any registry that speaks the spec.
 *
 * @see https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md
 */
export class OciHttpImageRegistry implements ImageRegistry {
  readonly #client: RegistryHttpClient;
  readonly #transport: HttpTransport;
  readonly #tagPageSize: number;

  constructor(options: OciHttpImageRegistryOptions) {
    this.#transport = options.transport ?? new NodeHttpTransport();
    this.#client = new RegistryHttpClient({
      baseUrl: options.baseUrl,
      credentials: options.credentials,
      transport: this.#transport,
      timeoutMs: options.timeoutMs ?? 30_000,
      now: options.now ?? Date.now,
    });
    this.#tagPageSize = options.tagPageSize ?? 1000;
  }

  /** Closes the transport's kept connections (they do not keep the process alive). */
  close(): void {
    this.#transport.close();
  }

  async fetchManifest(repository: string, digest: string): Promise<RawManifest> {
    const context = this.#context('fetch manifest', repository, digest);
    requireDigest(digest, context);
    const response = await this.#client.send({
      method: 'GET',
      path: `/v2/${repository}/manifests/${digest}`,
      headers: { accept: ACCEPTED_MANIFEST_MEDIA_TYPES.join(', ') },
      context,
    });
    if (!response.ok) throw await this.#client.fail(response, context);
    const bytes = await this.#read(response, Limits.manifestBytes, context);
    verifyDigest(bytes, digest, context);
    return { mediaType: manifestMediaType(response, bytes), digest, size: bytes.length, bytes };
  }

  async fetchBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    const context = this.#context('fetch blob', repository, descriptor.digest);
    requireDigest(descriptor.digest, context);
    if (descriptor.size > maxBytes) throw tooLarge(context, descriptor.size, maxBytes);
    const response = await this.#client.send({ method: 'GET', path: `/v2/${repository}/blobs/${descriptor.digest}`, context });
    if (!response.ok) throw await this.#client.fail(response, context);
    const wrongSize = (actualSize: number) =>
      new RegistryError(
        ErrorCodes.digestMismatch,
        `${describeRequest(context)}: got ${actualSize} bytes or more, the descriptor says ${descriptor.size}`,
        {
          details: { repository, reference: descriptor.digest, expectedSize: descriptor.size, actualSize },
        },
      );
    // Reading one byte past the descriptor's size is enough to know the registry sent something else.
    const limit = Math.min(maxBytes, descriptor.size + 1);
    const bytes = await this.#read(response, limit, context, (seen) =>
      seen > maxBytes ? tooLarge(context, seen, maxBytes) : wrongSize(seen),
    );
    if (bytes.length !== descriptor.size) throw wrongSize(bytes.length);
    verifyDigest(bytes, descriptor.digest, context);
    return bytes;
  }

  async resolveTag(repository: string, tag: string): Promise<string | undefined> {
    const context = this.#context('resolve tag', repository, tag);
    requireTag(tag, context);
    const request = { path: `/v2/${repository}/manifests/${tag}`, headers: { accept: ACCEPTED_MANIFEST_MEDIA_TYPES.join(', ') }, context };
    const head = await this.#client.send({ method: 'HEAD', ...request });
    await head.cancel();
    if (head.status === 404) return undefined;
    if (!head.ok) throw await this.#client.fail(head, context);
    const digest = head.headers.get('docker-content-digest');
    if (isDigest(digest)) return digest;
    // The header is only a SHOULD in the spec: without it, the digest is that of the bytes.
    const get = await this.#client.send({ method: 'GET', ...request });
    if (get.status === 404) {
      await get.cancel();
      return undefined;
    }
    if (!get.ok) throw await this.#client.fail(get, context);
    return computeDigest(await this.#read(get, Limits.manifestBytes, context));
  }

  async putManifest(repository: string, tag: string, manifest: RawManifest): Promise<void> {
    const context = this.#context('put manifest', repository, tag);
    requireTag(tag, context);
    verifyDigest(manifest.bytes, manifest.digest, context);
    const response = await this.#client.send({
      method: 'PUT',
      path: `/v2/${repository}/manifests/${tag}`,
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
      context,
    });
    if (!response.ok) throw await this.#client.fail(response, context);
    await response.cancel();
    const stored = response.headers.get('docker-content-digest');
    if (stored !== null && stored !== manifest.digest) {
      throw new RegistryError(
        ErrorCodes.digestMismatch,
        `${describeRequest(context)}: the registry stored ${stored}, the manifest is ${manifest.digest}`,
        {
          details: { repository, reference: tag, expected: manifest.digest, actual: stored },
        },
      );
    }
  }

  async listTags(repository: string): Promise<string[]> {
    const context = this.#context('list tags', repository, undefined);
    let path: string | undefined = `/v2/${repository}/tags/list?n=${this.#tagPageSize}`;
    const seen = new Set<string>();
    const tags: string[] = [];
    for (let page = 0; path !== undefined; page++) {
      if (page >= MAX_TAG_PAGES || seen.has(path)) {
        throw new RegistryError(ErrorCodes.unavailable, `${describeRequest(context)}: the tag list pages do not end (${path})`, {
          details: { repository },
        });
      }
      seen.add(path);
      const response = await this.#client.send({ method: 'GET', path, context });
      if (response.status === 404 && page === 0) {
        // NAME_UNKNOWN: a repository nobody pushed to has no tags.
        const error = await this.#client.fail(response, context);
        if (error.code === ErrorCodes.notFound) return [];
        throw error;
      }
      if (!response.ok) throw await this.#client.fail(response, context);
      tags.push(...parseTagList(await this.#read(response, TAG_LIST_PAGE_LIMIT, context), context));
      const next = nextPageLink(response.headers.get('link'));
      // The link is relative to the registry's origin; the client refuses one leading elsewhere.
      path = next === undefined ? undefined : new URL(next, `${this.#client.baseUrl}/`).toString();
    }
    return tags;
  }

  #context(operation: string, repository: string, reference: string | undefined): RequestContext {
    const context = { operation, repository, reference, registry: this.#client.baseUrl };
    // Checked so a name can never change the request path.
    const problem = repositoryNameProblem(repository);
    if (problem !== undefined) {
      throw new RegistryError(ErrorCodes.invalidInput, `${describeRequest(context)}: ${problem}`, { details: { repository } });
    }
    return context;
  }

  /** Reads a body of at most `limit` bytes; `overLimit` builds the error for a larger one (default: too-large). */
  async #read(
    response: TransportResponse,
    limit: number,
    context: RequestContext,
    overLimit: (seen: number) => Error = (seen) => tooLarge(context, seen, limit),
  ): Promise<Uint8Array> {
    try {
      return await readLimited(response, limit, overLimit);
    } catch (error) {
      // The body stream fails with the same network errors (and the timeout) as the request.
      throw this.#client.failure(error, context);
    }
  }
}

function requireDigest(digest: string, context: RequestContext): void {
  if (!isDigest(digest)) {
    throw new RegistryError(ErrorCodes.invalidInput, `${describeRequest(context)}: not a sha256 digest`, {
      details: { repository: context.repository, reference: digest },
    });
  }
}

function requireTag(tag: string, context: RequestContext): void {
  if (!TAG_SYNTAX.test(tag)) {
    throw new RegistryError(ErrorCodes.invalidInput, `${describeRequest(context)}: not a valid tag`, {
      details: { repository: context.repository, reference: tag },
    });
  }
}

function verifyDigest(bytes: Uint8Array, digest: string, context: RequestContext): void {
  const actual = computeDigest(bytes);
  if (actual !== digest) {
    throw new RegistryError(ErrorCodes.digestMismatch, `${describeRequest(context)}: the bytes hash to ${actual}`, {
      details: { repository: context.repository, reference: context.reference, expected: digest, actual },
    });
  }
}

function tooLarge(context: RequestContext, size: number, limit: number): RegistryError {
  return new RegistryError(ErrorCodes.tooLarge, `${describeRequest(context)}: ${size} bytes or more, the limit is ${limit}`, {
    details: { repository: context.repository, reference: context.reference, size, limit },
  });
}

/**
 * The media type the registry serves the manifest as. Registries that answer with a generic type
 * (or none) still name it in the manifest's own `mediaType` field, which is then used.
 */
function manifestMediaType(response: TransportResponse, bytes: Uint8Array): string {
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (
    contentType !== '' &&
    contentType !== 'application/json' &&
    contentType !== 'text/plain' &&
    contentType !== 'application/octet-stream'
  ) {
    return contentType;
  }
  try {
    const declared = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof declared === 'string') return declared;
  } catch {
    // Not JSON: the manifest parser in core will say so with the media type we have.
  }
  return contentType;
}

function parseTagList(bytes: Uint8Array, context: RequestContext): string[] {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new RegistryError(ErrorCodes.unavailable, `${describeRequest(context)}: the tag list is not JSON`, {
      details: { repository: context.repository },
    });
  }
  const tags = (body as { tags?: unknown } | null)?.tags;
  // distribution answers `"tags": null` for a repository whose tags were all deleted.
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === 'string')) {
    throw new RegistryError(ErrorCodes.unavailable, `${describeRequest(context)}: the tag list has no array of strings`, {
      details: { repository: context.repository },
    });
  }
  return tags;
}
