import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handleApiRequest } from '../api/handle-request.ts';
import { withEntityTag } from '../api/entity-tag.ts';
import { errorToResponse, problemResponse } from '../api/problem.ts';
import { matchRoute } from '../api/routes.ts';
import type { Dependencies } from '../core/ports.ts';
import { flushMetrics, withLambdaContext } from './middlewares.ts';

/** Request bodies above this are refused with 413 (a config is a few hundred bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The `api` Lambda: API Gateway HTTP API (payload v2) in, JSON or problem+json out. Auth happens
 * before it: the AWS_IAM authorizer on AWS, the bearer token in the local runner.
 */
export function createApiHandler(deps: Dependencies, options: { timeoutEarlyInMillis?: number } = {}) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>({
    timeoutEarlyInMillis: options.timeoutEarlyInMillis ?? 5,
  })
    .use(withLambdaContext(deps.logger))
    .use(flushMetrics(deps.metrics))
    .handler(async (event) => {
      try {
        const method = event.requestContext.http.method.toUpperCase();
        const match = matchRoute(method, event.rawPath);
        if (match.kind === 'not-found') return problemResponse(404, `no route for ${method} ${event.rawPath}`);
        if (match.kind === 'method-not-allowed') {
          const response = problemResponse(405, `${method} is not allowed on ${event.rawPath}; use ${match.allowed.join(', ')}`);
          return { ...response, headers: { ...response.headers, allow: match.allowed.join(', ') } };
        }
        const body = readBody(event);
        if ('problem' in body) return body.problem;
        const query = Object.fromEntries(new URLSearchParams(event.rawQueryString ?? ''));
        const response = await handleApiRequest(deps, { method, route: match.route, query, body: body.value });
        return withEntityTag(method, event.headers?.['if-none-match'], response);
      } catch (error) {
        return errorToResponse(error, deps.logger);
      }
    });
}

function readBody(event: APIGatewayProxyEventV2): { value: unknown } | { problem: APIGatewayProxyStructuredResultV2 } {
  if (event.body === undefined || event.body === null || event.body === '') return { value: undefined };
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) return { problem: problemResponse(413, `body: ${bytes.byteLength} bytes is over the ${MAX_BODY_BYTES}-byte limit`) };
  const contentType = (event.headers?.['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json' && !contentType?.endsWith('+json')) {
    return { problem: problemResponse(415, `body: content-type ${contentType} is not JSON; send application/json`) };
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8')) };
  } catch (error) {
    return { problem: problemResponse(400, `body: not valid JSON (${(error as Error).message})`, { field: 'body' }) };
  }
}
