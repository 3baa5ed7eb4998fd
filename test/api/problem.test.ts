import { describe, expect, it } from 'vitest';
import { answerResponse, errorToResponse, HttpRefusal, problemResponse } from '../../src/api/problem.ts';
import { DomainError, ErrorCodes, InvalidInputError, NotFoundError, RegistryError } from '../../src/core/errors.ts';
import { CapturingLogger } from '../support/fakes.ts';

describe('errorToResponse', () => {
  const cases: Array<{ name: string; error: unknown; status: number; body: Record<string, unknown>; logged: Array<'warn' | 'error'> }> = [
    {
      name: 'bad input keeps its message and field',
      error: new InvalidInputError('body.tagPattern: must have a named group', 'body.tagPattern'),
      status: 400,
      body: { title: 'Bad Request', detail: 'body.tagPattern: must have a named group', code: 'invalid-input', field: 'body.tagPattern' },
      logged: [],
    },
    {
      name: 'not found',
      error: new NotFoundError('no such version', { version: '2.7' }),
      status: 404,
      body: { code: 'not-found', version: '2.7' },
      logged: [],
    },
    {
      name: 'an immutable tag',
      error: new RegistryError(ErrorCodes.tagImmutable, 'tag 2.7 is immutable'),
      status: 409,
      body: { code: 'tag-immutable' },
      logged: [],
    },
    {
      name: 'busy is worth a retry',
      error: new DomainError(ErrorCodes.busy, 'being published', { retryable: true }),
      status: 503,
      body: { code: 'busy' },
      logged: ['warn'],
    },
    {
      name: 'a registry failure without a status of its own',
      error: new RegistryError(ErrorCodes.denied, 'denied by ECR'),
      status: 502,
      body: { code: 'denied', detail: 'denied by ECR' },
      logged: ['error'],
    },
    {
      name: 'a bug',
      error: new TypeError('x is undefined'),
      status: 500,
      body: { title: 'Internal Server Error', detail: 'internal error; see the service log' },
      logged: ['error'],
    },
    { name: 'a thrown string', error: 'boom', status: 500, body: { detail: 'internal error; see the service log' }, logged: ['error'] },
  ];
  for (const { name, error, status, body, logged } of cases) {
    it(name, () => {
      const logger = new CapturingLogger();
      const response = errorToResponse(error, logger);
      expect(response.statusCode).toBe(status);
      expect(response.headers).toEqual({ 'content-type': 'application/problem+json' });
      const problem = JSON.parse(response.body ?? '{}');
      expect(problem).toMatchObject({ type: 'about:blank', status, ...body });
      expect(logger.lines.map((l) => l.level)).toEqual(logged);
    });
  }

  it('never shows a bug to the caller', () => {
    const response = errorToResponse(new Error('password=hunter2 at line 3'), new CapturingLogger());
    expect(response.body).not.toContain('hunter2');
  });
});

describe('problemResponse', () => {
  it('is RFC 9457 problem JSON with extensions, which never overwrite its members', () => {
    const response = problemResponse(413, 'body: too large', { limit: 1, status: 200, detail: 'fine' });
    expect(response.statusCode).toBe(413);
    expect(response.headers).toEqual({ 'content-type': 'application/problem+json' });
    expect(JSON.parse(response.body ?? '{}')).toEqual({
      type: 'about:blank',
      title: 'Payload Too Large',
      status: 413,
      detail: 'body: too large',
      limit: 1,
    });
  });
});

describe('errorToResponse for the answers not listed above', () => {
  it('answers a failed publish 502 with its details and without a code member', () => {
    const logger = new CapturingLogger();
    const response = errorToResponse(
      new DomainError(ErrorCodes.publishFailed, 'registry refused the index', { details: { version: { state: 'failed' } } }),
      logger,
    );
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(response.body ?? '{}')).toEqual({
      type: 'about:blank',
      title: 'Bad Gateway',
      status: 502,
      detail: 'registry refused the index',
      version: { state: 'failed' },
    });
    expect(logger.lines.map((l) => l.level)).toEqual(['warn']);
  });

  it('answers a refusal of the HTTP layer with its status, extensions and headers, no code, nothing logged', () => {
    const logger = new CapturingLogger();
    const response = errorToResponse(new HttpRefusal(405, 'PUT is not allowed on /v1/health; use GET', {}, { allow: 'GET' }), logger);
    expect(response.statusCode).toBe(405);
    expect(response.headers).toEqual({ 'content-type': 'application/problem+json', allow: 'GET' });
    expect(JSON.parse(response.body ?? '{}')).toEqual({
      type: 'about:blank',
      title: 'Method Not Allowed',
      status: 405,
      detail: 'PUT is not allowed on /v1/health; use GET',
    });
    expect(logger.lines).toEqual([]);
  });
});

describe('answerResponse', () => {
  it('answers data as 200 JSON and nothing as an empty 204', () => {
    expect(answerResponse({ status: 'ok' })).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"status":"ok"}',
    });
    expect(answerResponse(undefined)).toEqual({ statusCode: 204, headers: {}, body: '' });
  });
});
