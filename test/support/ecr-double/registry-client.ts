import { ACCEPTED_MANIFEST_MEDIA_TYPES } from '../../../src/core/media-types.ts';

/**
 * The few OCI distribution calls the ECR double makes to the real registry behind it. Kept apart from
 * the adapters under test (the double must not check an adapter with itself).
 *
 * @see https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md
 */
export class RegistryClient {
  readonly #url: string;

  constructor(url: string) {
    this.#url = url.replace(/\/+$/, '');
  }

  /** Digest and media type of a manifest by tag or digest, or undefined when it does not exist. */
  async headManifest(repository: string, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const response = await fetch(`${this.#url}/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { accept: ACCEPTED_MANIFEST_MEDIA_TYPES.join(', ') },
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`registry HEAD ${repository}/manifests/${reference}: HTTP ${response.status}`);
    return {
      digest: required(response.headers.get('docker-content-digest'), 'Docker-Content-Digest'),
      mediaType: required(response.headers.get('content-type'), 'Content-Type'),
      size: Number(response.headers.get('content-length')),
    };
  }

  /** The exact stored bytes of a manifest, or undefined when it does not exist. */
  async getManifest(repository: string, reference: string): Promise<{ bytes: Buffer; digest: string; mediaType: string } | undefined> {
    const response = await fetch(`${this.#url}/v2/${repository}/manifests/${reference}`, {
      headers: { accept: ACCEPTED_MANIFEST_MEDIA_TYPES.join(', ') },
    });
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new Error(`registry GET ${repository}/manifests/${reference}: HTTP ${response.status} ${await response.text()}`);
    return {
      bytes: Buffer.from(await response.arrayBuffer()),
      digest: required(response.headers.get('docker-content-digest'), 'Docker-Content-Digest'),
      mediaType: required(response.headers.get('content-type'), 'Content-Type'),
    };
  }

  /** PUT of exactly these bytes; returns the registry's raw answer. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<Response> {
    return fetch(`${this.#url}/v2/${repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body: bytes,
    });
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const response = await fetch(`${this.#url}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
    return response.ok;
  }

  /** The registry's answer to a blob GET (the caller streams the body). */
  async getBlob(repository: string, digest: string): Promise<Response> {
    return fetch(`${this.#url}/v2/${repository}/blobs/${digest}`);
  }

  /** Every tag, sorted; empty when the repository has no tags (the registry says NAME_UNKNOWN then). */
  async listTags(repository: string): Promise<string[]> {
    const response = await fetch(`${this.#url}/v2/${repository}/tags/list`);
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`registry GET ${repository}/tags/list: HTTP ${response.status}`);
    const body = (await response.json()) as { tags?: string[] | null };
    return [...(body.tags ?? [])].sort();
  }
}

function required(value: string | null, header: string): string {
  if (value === null) throw new Error(`registry answer without ${header}`);
  return value;
}
