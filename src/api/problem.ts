import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ErrorCode, ErrorCodes, isDomainError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';

/**
 * The one place API answers are built: a route's data becomes 200 JSON (204 when it has none), and a
 * thrown error becomes RFC 9457 problem+json by {@link PROBLEMS}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */

/** RFC 9457 problem details. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [extension: string]: unknown;
}

/**
 * Problem type of every answer: `about:blank` (the status says it all), with the domain error's
 * `code` member telling kinds apart, as clients have read them since the first version.
 */
const PROBLEM_TYPE = 'about:blank';

/**
 * Domain error code → HTTP status. A code not listed is a failure of the registry or the store
 * that no status here describes better: 502, logged as an error. `code: false` leaves the `code`
 * member out of the body (a failed publish has always answered without one).
 */
const PROBLEMS: Readonly<Partial<Record<ErrorCode, { readonly status: number; readonly code?: false }>>> = {
  [ErrorCodes.invalidInput]: { status: 400 },
  [ErrorCodes.notFound]: { status: 404 },
  [ErrorCodes.conflict]: { status: 409 },
  [ErrorCodes.incomplete]: { status: 409 },
  [ErrorCodes.tagImmutable]: { status: 409 },
  [ErrorCodes.publishFailed]: { status: 502, code: false },
  [ErrorCodes.busy]: { status: 503 },
  [ErrorCodes.unavailable]: { status: 503 },
  [ErrorCodes.throttled]: { status: 503 },
};

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

/**
 * A request refused before any route runs (no such route, a method not allowed, a body too large
 * or not JSON): not a domain error, so its problem has no `code`.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpRefusal';
  }
}

/** A route's data as the answer: 200 JSON, or 204 without a body when the route returned nothing. */
export function answerResponse(data: unknown): APIGatewayProxyStructuredResultV2 {
  return data === undefined ? { statusCode: 204, headers: {}, body: '' } : jsonResponse(200, data);
}

function jsonResponse(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function problemResponse(
  status: number,
  detail: string,
  extensions: Record<string, unknown> = {},
): APIGatewayProxyStructuredResultV2 {
  // Extensions first: they must never overwrite the RFC 9457 members.
  const problem: Problem = { ...extensions, type: PROBLEM_TYPE, title: TITLES[status] ?? 'Error', status, detail };
  return { statusCode: status, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(problem) };
}

/**
 * The one place errors become HTTP responses. Domain errors meant for the caller keep their
 * message; anything else is logged in full and answered with a generic 500.
 */
export function errorToResponse(error: unknown, logger: Logger): APIGatewayProxyStructuredResultV2 {
  if (error instanceof HttpRefusal) {
    const response = problemResponse(error.status, error.message, { ...error.extensions });
    return { ...response, headers: { ...response.headers, ...error.headers } };
  }
  if (isDomainError(error)) {
    const problem = PROBLEMS[error.code];
    if (problem !== undefined) {
      if (problem.status >= 500) logger.warn('request failed', { code: error.code, error: error.message });
      return problemResponse(
        problem.status,
        error.message,
        problem.code === false ? { ...error.details } : { code: error.code, ...error.details },
      );
    }
    logger.error('request failed', { code: error.code, error: error.message });
    return problemResponse(502, error.message, { code: error.code });
  }
  logger.error('unexpected error', {
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
  });
  return problemResponse(500, 'internal error; see the service log');
}
