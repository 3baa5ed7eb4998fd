import { Problem } from './api-types.ts';

/**
 * The API answered with an error status. `problem` is its RFC 9457 body when it sent one; the
 * message is what the user reads: the problem's `detail`, else its `title`, else the status line.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(readonly request: string, status: number, statusText: string, problem: Problem | undefined, bodyText: string) {
    super(describeFailure(status, statusText, problem, bodyText));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** Reads an error body: a problem+json document, API Gateway's `{"message": …}`, or nothing usable. */
export function parseProblem(contentType: string | null, bodyText: string): Problem | undefined {
  if (!/json/i.test(contentType ?? '')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  const parsed = Problem.safeParse(json);
  if (!parsed.success) return undefined;
  const problem = parsed.data;
  // API Gateway's own errors (a bad signature, a missing route) are {"message": "..."}, not problem+json.
  const message = (json as Record<string, unknown>)['message'];
  if (problem.detail === undefined && problem.title === undefined && typeof message === 'string') {
    return { ...problem, title: message };
  }
  return problem;
}

function describeFailure(status: number, statusText: string, problem: Problem | undefined, bodyText: string): string {
  const text = problem?.detail ?? problem?.title;
  if (text !== undefined && text !== '') return text;
  const snippet = bodyText.trim().slice(0, 200);
  const line = `HTTP ${status}${statusText === '' ? '' : ` ${statusText}`}`;
  return snippet === '' ? line : `${line}: ${snippet}`;
}
