import type { Problem } from './api-types.ts';

/**
 * The API answered with an error status. `problem` is its RFC 9457 body when it sent one; the
 * message is what the user reads: the problem's `detail`, else its `title`, else the status line.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(
    readonly request: string,
    status: number,
    statusText: string,
    problem: Problem | undefined,
    bodyText: string,
  ) {
    super(describeFailure(status, statusText, problem, bodyText));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Reads an error body: a problem+json document, or API Gateway's `{"message": …}`. Each member is
 * read on its own, so that one malformed member (an extension that shadows `status`, say) does not
 * hide the `detail` the user needs.
 */
export function parseProblem(contentType: string | null, bodyText: string): Problem | undefined {
  if (!/json/i.test(contentType ?? '')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  const text = (key: string) => (typeof body[key] === 'string' ? { [key]: body[key] as string } : {});
  const problem: Problem = {
    ...text('type'),
    ...text('title'),
    ...text('detail'),
    ...(typeof body.status === 'number' ? { status: body.status } : {}),
  };
  // API Gateway's own errors (a bad signature, a missing route) are {"message": "..."}, not problem+json.
  if (problem.detail === undefined && problem.title === undefined && typeof body.message === 'string') {
    return { ...problem, title: body.message };
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
