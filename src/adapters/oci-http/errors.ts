import { type ErrorCode, ErrorCodes, isDomainError, RegistryError } from '../../core/errors.ts';
import { readLimited } from '../http/read-limited-body.ts';
import { describeRequest, type RequestContext } from './request-context.ts';
import type { TransportResponse } from './transport.ts';

/**
 * Translation of registry answers and network failures into {@link RegistryError}s, by the error
 * codes of the distribution spec's JSON body (`{"errors":[{"code":"MANIFEST_UNKNOWN",…}]}`), falling
 * back to the HTTP status when a body has none (HEAD answers never have one).
 *
 * @see https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#error-codes
 */

interface Translation {
  readonly code: ErrorCode;
  readonly retryable: boolean;
}

const BY_REGISTRY_CODE: Readonly<Record<string, Translation>> = {
  MANIFEST_UNKNOWN: { code: ErrorCodes.notFound, retryable: false },
  BLOB_UNKNOWN: { code: ErrorCodes.notFound, retryable: false },
  NAME_UNKNOWN: { code: ErrorCodes.notFound, retryable: false },
  // On a manifest PUT: a child or blob is not (yet) visible. Pushers upload children first, and
  // some registries are eventually consistent, so a later try may succeed.
  MANIFEST_BLOB_UNKNOWN: { code: ErrorCodes.referencedImagesNotFound, retryable: true },
  MANIFEST_INVALID: { code: ErrorCodes.unsupportedManifest, retryable: false },
  MANIFEST_UNVERIFIED: { code: ErrorCodes.unsupportedManifest, retryable: false },
  UNSUPPORTED: { code: ErrorCodes.unsupportedManifest, retryable: false },
  DIGEST_INVALID: { code: ErrorCodes.digestMismatch, retryable: false },
  SIZE_INVALID: { code: ErrorCodes.digestMismatch, retryable: false },
  NAME_INVALID: { code: ErrorCodes.invalidInput, retryable: false },
  TAG_INVALID: { code: ErrorCodes.invalidInput, retryable: false },
  UNAUTHORIZED: { code: ErrorCodes.unauthorized, retryable: false },
  DENIED: { code: ErrorCodes.denied, retryable: false },
  TOOMANYREQUESTS: { code: ErrorCodes.throttled, retryable: true },
};

function byStatus(status: number): Translation {
  if (status === 404) return { code: ErrorCodes.notFound, retryable: false };
  if (status === 401) return { code: ErrorCodes.unauthorized, retryable: false };
  if (status === 403) return { code: ErrorCodes.denied, retryable: false };
  if (status === 429) return { code: ErrorCodes.throttled, retryable: true };
  if (status === 408 || status >= 500) return { code: ErrorCodes.unavailable, retryable: true };
  // An unexpected 4xx: the same request will get the same answer.
  return { code: ErrorCodes.unavailable, retryable: false };
}

/** Error bodies are small; a registry sending more is not sending an error document. */
const ERROR_BODY_LIMIT = 64 * 1024;

interface RegistryErrorBody {
  readonly code?: string;
  readonly message?: string;
}

async function readErrorBody(response: TransportResponse): Promise<RegistryErrorBody | undefined> {
  try {
    const text = Buffer.from(await readLimited(response, ERROR_BODY_LIMIT, () => new Error('not an error document'))).toString('utf8');
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    if (first === undefined) return undefined;
    return {
      code: typeof first.code === 'string' ? first.code : undefined,
      message: typeof first.message === 'string' ? first.message : undefined,
    };
  } catch {
    // Not JSON, too long, or the body broke off: the status is all there is to go on.
    return undefined;
  }
}

/** `Retry-After` as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** Reads the error body of a non-success answer and returns the matching domain error. */
export async function errorFromResponse(response: TransportResponse, context: RequestContext, nowMs: number): Promise<RegistryError> {
  const body = await readErrorBody(response);
  const registryCode = body?.code?.toUpperCase();
  let translation = (registryCode !== undefined ? BY_REGISTRY_CODE[registryCode] : undefined) ?? byStatus(response.status);
  if (response.status === 429) translation = { code: ErrorCodes.throttled, retryable: true };
  // ECR and Harbor refuse to move an immutable tag with TAG_INVALID/DENIED and say why only in words.
  if (/immutable/i.test(body?.message ?? '') && translation.code !== ErrorCodes.notFound) {
    translation = { code: ErrorCodes.tagImmutable, retryable: false };
  }
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  const what = [registryCode, body?.message].filter((part) => part !== undefined).join(': ');
  return new RegistryError(translation.code, `${describeRequest(context)}: HTTP ${response.status}${what === '' ? '' : ` ${what}`}`, {
    retryable: translation.retryable,
    details: {
      repository: context.repository,
      reference: context.reference,
      status: response.status,
      ...(registryCode === undefined ? {} : { registryCode }),
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    },
  });
}

/**
 * Anything thrown while talking to the registry that is not already a domain error: refused or
 * reset connections, DNS failures, timeouts. All are worth a retry.
 */
export function errorFromFailure(error: unknown, context: RequestContext): Error {
  if (isDomainError(error)) return error;
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const reason = timedOut ? 'timed out' : `${describeCause(error)}${cause === undefined ? '' : ` (${describeCause(cause)})`}`;
  return new RegistryError(ErrorCodes.unavailable, `${describeRequest(context)}: ${reason}`, {
    retryable: true,
    cause: error,
    details: { repository: context.repository, reference: context.reference, ...(timedOut ? { timedOut: true } : {}) },
  });
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} ${error.message}` : error.message;
}
