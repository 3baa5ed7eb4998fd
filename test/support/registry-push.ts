import { computeDigest } from '../../src/core/digest.ts';

/**
 * Plain OCI distribution pushes for tests: a blob (POST upload, PUT ?digest=) and a manifest
 * (PUT by tag or digest). Independent of the adapter under test, so adapter tests do not check
 * the adapter with itself.
 *
 * @see https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#push
 */

/** A registry URL, or a URL with the `Authorization` header value to send (Basic or Bearer). */
export type RegistryTarget = string | { readonly url: string; readonly authorization?: string };

export interface PushedContent {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

function resolveTarget(target: RegistryTarget): { url: string; headers: Record<string, string> } {
  const { url, authorization } = typeof target === 'string' ? { url: target, authorization: undefined } : target;
  return { url: url.replace(/\/+$/, ''), headers: authorization === undefined ? {} : { authorization } };
}

/** `<registry url> <digest>` → a repository of that registry known to hold the blob. */
const blobHolders = new Map<string, string>();

/** Pushes a blob unless the repository has it already; returns its descriptor. */
export async function pushBlob(
  target: RegistryTarget,
  repository: string,
  bytes: Uint8Array,
  mediaType = 'application/octet-stream',
  options: { mount?: boolean } = {},
): Promise<PushedContent> {
  const { url, headers } = resolveTarget(target);
  const digest = computeDigest(bytes);
  const descriptor = { mediaType, digest, size: bytes.length };
  const head = await fetch(`${url}/v2/${repository}/blobs/${digest}`, { method: 'HEAD', headers });
  if (head.ok) return descriptor;

  // Tests push the same layers into many repositories: mount them from one that has them (201)
  // instead of uploading ~1 MB again. A 202 means the registry declined and opened a normal upload.
  const source = options.mount === false ? undefined : blobHolders.get(`${url} ${digest}`);
  const mount = source === undefined ? '' : `?mount=${digest}&from=${source}`;
  const start = await fetch(`${url}/v2/${repository}/blobs/uploads/${mount}`, { method: 'POST', headers });
  if (start.status === 201) {
    await start.body?.cancel();
    return descriptor;
  }
  const location = start.headers.get('location');
  if (start.status !== 202 || location === null) {
    throw new Error(`blob upload to ${repository} did not start: ${start.status} ${await start.text()}`);
  }
  await start.body?.cancel();
  const uploadUrl = new URL(location, `${url}/`);
  uploadUrl.searchParams.set('digest', digest);
  const put = await fetch(uploadUrl, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  if (put.status !== 201) {
    throw new Error(`blob ${digest} upload to ${repository} failed: ${put.status} ${await put.text()}`);
  }
  await put.body?.cancel();
  blobHolders.set(`${url} ${digest}`, repository);
  return descriptor;
}

/**
 * Puts exactly these bytes as a manifest under `reference` (a tag, or a digest for an untagged push).
 * Throws with the registry's answer unless it says 201 with the digest of the bytes.
 */
export async function pushRawManifest(
  target: RegistryTarget,
  repository: string,
  reference: string,
  bytes: Uint8Array | string,
  mediaType: string,
): Promise<PushedContent> {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const response = await putRawManifest(target, repository, reference, body, mediaType);
  const digest = computeDigest(body);
  if (response.status !== 201) {
    throw new Error(`manifest push ${repository}:${reference} failed: ${response.status} ${await response.text()}`);
  }
  await response.body?.cancel();
  const returned = response.headers.get('docker-content-digest');
  if (returned !== digest) {
    throw new Error(`manifest push ${repository}:${reference}: registry says ${returned}, bytes are ${digest}`);
  }
  return { mediaType, digest, size: body.length };
}

/** The registry's raw answer to a manifest PUT, for tests that expect a refusal. */
export async function putRawManifest(
  target: RegistryTarget,
  repository: string,
  reference: string,
  bytes: Uint8Array,
  mediaType: string,
): Promise<Response> {
  const { url, headers } = resolveTarget(target);
  return fetch(`${url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': mediaType },
    body: bytes,
  });
}

/** Serialises a manifest object once; the returned bytes are what gets pushed and digested. */
export function encodeJson(value: unknown): Uint8Array {
  // A plain Uint8Array, as the adapter returns: toEqual tells a Buffer from a Uint8Array.
  return new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));
}
