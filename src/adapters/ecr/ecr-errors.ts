import type { ImageFailure } from '@aws-sdk/client-ecr';
import { type ErrorCode, ErrorCodes, RegistryError } from '../../core/errors.ts';

/** What the failing call was about, for messages a person can act on. */
export interface EcrCallContext {
  readonly operation: string;
  readonly repository: string;
  readonly registryId?: string | undefined;
  readonly digest?: string | undefined;
  readonly tag?: string | undefined;
}

interface Mapping {
  readonly code: ErrorCode;
  readonly retryable: boolean;
}

// Exception names as ECR returns them in `__type` (and the SDK in `error.name`).
const EXCEPTIONS: Readonly<Record<string, Mapping>> = {
  ImageNotFoundException: { code: ErrorCodes.notFound, retryable: false },
  RepositoryNotFoundException: { code: ErrorCodes.notFound, retryable: false },
  LayersNotFoundException: { code: ErrorCodes.notFound, retryable: false },
  // "not associated with an image": the layer is about to be garbage-collected.
  LayerInaccessibleException: { code: ErrorCodes.notFound, retryable: false },
  ImageTagAlreadyExistsException: { code: ErrorCodes.tagImmutable, retryable: false },
  // A child pushed a moment ago may not be visible yet; a child deleted by a lifecycle rule never
  // will be. Retrying a few times with backoff tells the two apart.
  ReferencedImagesNotFoundException: { code: ErrorCodes.referencedImagesNotFound, retryable: true },
  // We send the digest of the exact bytes, so a mismatch means the bytes changed in transit or a bug.
  ImageDigestDoesNotMatchException: { code: ErrorCodes.digestMismatch, retryable: false },
  InvalidParameterException: { code: ErrorCodes.invalidInput, retryable: false },
  ValidationException: { code: ErrorCodes.invalidInput, retryable: false },
  LimitExceededException: { code: ErrorCodes.throttled, retryable: true },
  ThrottlingException: { code: ErrorCodes.throttled, retryable: true },
  TooManyRequestsException: { code: ErrorCodes.throttled, retryable: true },
  ServerException: { code: ErrorCodes.unavailable, retryable: true },
  KmsException: { code: ErrorCodes.unavailable, retryable: true },
  AccessDeniedException: { code: ErrorCodes.denied, retryable: false },
  UnrecognizedClientException: { code: ErrorCodes.unauthorized, retryable: false },
  InvalidSignatureException: { code: ErrorCodes.unauthorized, retryable: false },
  // Lambda refreshes its role credentials; the next invocation gets fresh ones.
  ExpiredTokenException: { code: ErrorCodes.unauthorized, retryable: true },
};

// BatchGetImage reports per-image problems in `failures[]` instead of throwing.
const FAILURE_CODES: Readonly<Record<string, Mapping>> = {
  ImageNotFound: { code: ErrorCodes.notFound, retryable: false },
  InvalidImageDigest: { code: ErrorCodes.invalidInput, retryable: false },
  InvalidImageTag: { code: ErrorCodes.invalidInput, retryable: false },
  MissingDigestAndTag: { code: ErrorCodes.invalidInput, retryable: false },
  ImageTagDoesNotMatchDigest: { code: ErrorCodes.conflict, retryable: false },
  ImageReferencedByManifestList: { code: ErrorCodes.conflict, retryable: false },
  ImageInaccessible: { code: ErrorCodes.denied, retryable: false },
  UpstreamAccessDenied: { code: ErrorCodes.denied, retryable: false },
  KmsError: { code: ErrorCodes.unavailable, retryable: true },
  UpstreamTooManyRequests: { code: ErrorCodes.throttled, retryable: true },
  UpstreamUnavailable: { code: ErrorCodes.unavailable, retryable: true },
};

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** Names the image a call was about: `repo@sha256:…`, `repo:tag` or just `repo`. */
export function describeTarget(context: EcrCallContext): string {
  const registry = context.registryId === undefined ? '' : ` in registry ${context.registryId}`;
  if (context.digest !== undefined) return `${context.repository}@${context.digest}${registry}`;
  if (context.tag !== undefined) return `${context.repository}:${context.tag}${registry}`;
  return `repository ${context.repository}${registry}`;
}

function detailsOf(context: EcrCallContext, ecrError: string): Record<string, unknown> {
  return {
    operation: context.operation,
    repository: context.repository,
    ecrError,
    ...(context.registryId === undefined ? {} : { registryId: context.registryId }),
    ...(context.digest === undefined ? {} : { digest: context.digest }),
    ...(context.tag === undefined ? {} : { tag: context.tag }),
  };
}

/**
 * Translates an error thrown by the ECR SDK into a {@link RegistryError}. Unknown server faults and
 * network failures are retryable; unknown client faults are not.
 */
export function translateEcrError(error: unknown, context: EcrCallContext): RegistryError {
  if (error instanceof RegistryError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = shape.name ?? 'Error';
  const ecrMessage = shape.message ?? String(error);
  const known = EXCEPTIONS[name];
  const status = shape.$metadata?.httpStatusCode;
  const mapping: Mapping =
    known ??
    (shape.$fault === 'client' || (status !== undefined && status >= 400 && status < 500)
      ? { code: ErrorCodes.invalidInput, retryable: false }
      : { code: ErrorCodes.unavailable, retryable: true });
  const message = `ECR ${context.operation} failed for ${describeTarget(context)}: ${name}: ${ecrMessage}`;
  return new RegistryError(mapping.code, message, { retryable: mapping.retryable, cause: error, details: detailsOf(context, name) });
}

/** Translates one entry of BatchGetImage's `failures[]`. */
export function translateImageFailure(failure: ImageFailure, context: EcrCallContext): RegistryError {
  const code = failure.failureCode ?? 'Unknown';
  const mapping = FAILURE_CODES[code] ?? { code: ErrorCodes.unavailable, retryable: true };
  const reason = failure.failureReason === undefined ? '' : ` (${failure.failureReason})`;
  const what = mapping.code === ErrorCodes.notFound ? 'no such image' : `failure ${code}${reason}`;
  const message = `ECR ${context.operation} found ${what} for ${describeTarget(context)}${mapping.code === ErrorCodes.notFound ? reason : ''}`;
  return new RegistryError(mapping.code, message, { retryable: mapping.retryable, details: detailsOf(context, code) });
}

/** The name of an SDK exception (`ImageNotFoundException`…), whatever class carries it. */
export function nameOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : undefined;
}

/** ImageTagAlreadyExistsException, explained so that a person knows which tag, where, why, and what to do. */
export function tagImmutable(error: unknown, context: EcrCallContext): RegistryError {
  const message =
    `tag ${context.tag} of ECR repository ${context.repository} already points to another image, and the repository's tags are immutable, ` +
    `so ${context.digest} cannot be published under it. Either publish under a new tag (change the repository's targetTags), ` +
    `delete the image tagged ${context.tag} from ${context.repository}, or make the repository's tags mutable ` +
    `(or exclude this tag with an IMMUTABLE_WITH_EXCLUSION filter); then publish the version again.`;
  const translated = translateEcrError(error, context);
  return new RegistryError(ErrorCodes.tagImmutable, message, { retryable: false, cause: error, details: translated.details });
}
