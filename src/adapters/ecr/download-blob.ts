import type { Descriptor } from '../../core/descriptor.ts';
import { computeDigest } from '../../core/digest.ts';
import { ErrorCodes, RegistryError } from '../../core/errors.ts';
import { readLimitedBody } from '../http/read-limited-body.ts';

export interface BlobDownload {
  readonly fetch: typeof fetch;
  /** The pre-signed URL GetDownloadUrlForLayer returned. It carries credentials in its query. */
  readonly url: string;
  readonly repository: string;
  readonly descriptor: Descriptor;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** The URL without its query: the query of a pre-signed URL is a credential and must never be logged. */
export function redactUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  return parsed === undefined ? '<unparsable url>' : `${parsed.origin}${parsed.pathname}`;
}

/**
 * GETs a blob from a pre-signed download URL and checks it: no more than `maxBytes` (stopped while
 * streaming, never buffered whole first), exactly `descriptor.size` bytes, and sha256 = `descriptor.digest`.
 *
 * The request carries no credentials: the URL is signed in its query string, and S3 rejects a
 * request that also has an `Authorization` header ("Only one auth mechanism allowed").
 */
export async function downloadBlob(download: BlobDownload): Promise<Uint8Array> {
  const { descriptor, repository, maxBytes } = download;
  const target = `${repository}@${descriptor.digest}`;
  const details = { repository, digest: descriptor.digest, size: descriptor.size, maxBytes };
  if (descriptor.size > maxBytes) {
    throw new RegistryError(ErrorCodes.tooLarge, `blob ${target} is ${descriptor.size} bytes, more than the ${maxBytes} allowed`, {
      details,
    });
  }
  const response = await get(download, target);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new RegistryError(ErrorCodes.tooLarge, `blob ${target} is ${declared} bytes, more than the ${maxBytes} allowed`, { details });
  }
  // descriptor.size <= maxBytes here, so reading past descriptor.size already proves the blob wrong.
  const bytes = await readLimitedBody(
    response,
    descriptor.size,
    () =>
      new RegistryError(ErrorCodes.digestMismatch, `blob ${target} is longer than the ${descriptor.size} bytes its descriptor says`, {
        details,
      }),
  );
  if (bytes.byteLength !== descriptor.size) {
    throw new RegistryError(
      ErrorCodes.digestMismatch,
      `blob ${target} has ${bytes.byteLength} bytes, its descriptor says ${descriptor.size}`,
      { details },
    );
  }
  const actual = computeDigest(bytes);
  if (actual !== descriptor.digest) {
    throw new RegistryError(ErrorCodes.digestMismatch, `blob ${target} downloaded from ${redactUrl(download.url)} has digest ${actual}`, {
      details: { ...details, actualDigest: actual },
    });
  }
  return bytes;
}

async function get(download: BlobDownload, target: string): Promise<Response> {
  const where = redactUrl(download.url);
  let response: Response;
  try {
    // Deliberately no headers: see the function comment above.
    response = await download.fetch(download.url, { method: 'GET', redirect: 'follow', signal: AbortSignal.timeout(download.timeoutMs) });
  } catch (error) {
    throw new RegistryError(ErrorCodes.unavailable, `download of blob ${target} from ${where} failed: ${String(error)}`, {
      retryable: true,
      cause: error,
    });
  }
  if (response.ok) return response;
  await response.body?.cancel();
  const details = { repository: download.repository, digest: download.descriptor.digest, status: response.status };
  if (response.status === 404) {
    throw new RegistryError(ErrorCodes.notFound, `blob ${target} not found at ${where} (HTTP 404)`, { details });
  }
  // 403 from S3 is most often an expired pre-signed URL: a retry asks ECR for a fresh one.
  const retryable = response.status === 403 || response.status === 429 || response.status >= 500;
  const code = response.status === 429 || response.status === 503 ? ErrorCodes.throttled : ErrorCodes.unavailable;
  throw new RegistryError(code, `download of blob ${target} from ${where} answered HTTP ${response.status}`, { retryable, details });
}
