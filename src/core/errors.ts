/**
 * Domain errors. Adapters translate vendor errors into these at their boundary, so the use cases
 * and the handlers never look at an SDK's or a registry's error shapes.
 */

export const ErrorCodes = {
  invalidInput: 'invalid-input',
  notFound: 'not-found',
  unsupportedManifest: 'unsupported-manifest',
  digestMismatch: 'digest-mismatch',
  tooLarge: 'too-large',
  unauthorized: 'unauthorized',
  denied: 'denied',
  tagImmutable: 'tag-immutable',
  referencedImagesNotFound: 'referenced-images-not-found',
  throttled: 'throttled',
  unavailable: 'unavailable',
  conflict: 'conflict',
  incomplete: 'incomplete',
  busy: 'busy',
  /** Publishing a version failed (the registry refused the index…); the version's record says why. */
  publishFailed: 'publish-failed',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface DomainErrorOptions {
  /** True when the same call may succeed later (5xx, throttling, a child not yet visible). */
  readonly retryable?: boolean;
  readonly cause?: unknown;
  /** What a caller needs to act on the error: the field, the digest, the tag… */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** Bad input from a user or a caller: the message names what was wrong. */
export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly field?: string,
    details: Record<string, unknown> = {},
  ) {
    super(ErrorCodes.invalidInput, message, { details: field === undefined ? details : { field, ...details } });
    this.name = 'InvalidInputError';
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCodes.notFound, message, { details });
    this.name = 'NotFoundError';
  }
}

/** The one wording of "this repository has no configuration", for errors, ignore reasons and status alike. */
export function describeNoConfiguration(repository: string): string {
  return `repository ${repository} has no configuration`;
}

/** Asked about a repository that has no configuration (a 404 at the API). */
export class RepositoryNotConfiguredError extends NotFoundError {
  constructor(repository: string) {
    super(describeNoConfiguration(repository), { repository });
    this.name = 'RepositoryNotConfiguredError';
  }
}

/** Asked about a version no push of which has been recorded (a 404 at the API). */
export class VersionNotRecordedError extends NotFoundError {
  constructor({ repository, version }: { readonly repository: string; readonly version: string }) {
    super(`no push of ${repository} version ${version} has been recorded`, { repository, version });
    this.name = 'VersionNotRecordedError';
  }
}

/** A manifest we cannot use: schema 1, not JSON, unknown media type, no platform… */
export class UnsupportedManifestError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCodes.unsupportedManifest, message, { details });
    this.name = 'UnsupportedManifestError';
  }
}

/** A registry or ECR failure, translated by the adapter that saw it. */
export class RegistryError extends DomainError {
  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(code, message, options);
    this.name = 'RegistryError';
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** Unknown errors (bugs, network failures the adapter did not classify) are worth a retry. */
export function isRetryable(error: unknown): boolean {
  return isDomainError(error) ? error.retryable : true;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
