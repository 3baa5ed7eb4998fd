import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ErrorCodes, isDomainError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';

/** RFC 9457 problem details. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problemResponse(status: number, detail: string, extensions: Record<string, unknown> = {}): APIGatewayProxyStructuredResultV2 {
  // Extensions first: they must never overwrite the RFC 9457 members.
  const problem: Problem = { ...extensions, type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail };
  return { statusCode: status, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(problem) };
}

export function jsonResponse(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

const STATUS_BY_CODE: Partial<Record<string, number>> = {
  [ErrorCodes.invalidInput]: 400,
  [ErrorCodes.notFound]: 404,
  [ErrorCodes.conflict]: 409,
  [ErrorCodes.incomplete]: 409,
  [ErrorCodes.tagImmutable]: 409,
  [ErrorCodes.busy]: 503,
  [ErrorCodes.unavailable]: 503,
  [ErrorCodes.throttled]: 503,
};

/**
 * The one place errors become HTTP responses. Domain errors meant for the caller keep their
 * message; anything else is logged in full and answered with a generic 500.
 */
export function errorToResponse(error: unknown, logger: Logger): APIGatewayProxyStructuredResultV2 {
  if (isDomainError(error)) {
    const status = STATUS_BY_CODE[error.code];
    if (status !== undefined) {
      if (status >= 500) logger.warn('request failed', { code: error.code, error: error.message });
      return problemResponse(status, error.message, { code: error.code, ...error.details });
    }
    logger.error('request failed', { code: error.code, error: error.message });
    return problemResponse(502, error.message, { code: error.code });
  }
  logger.error('unexpected error', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
  return problemResponse(500, 'internal error; see the service log');
}
