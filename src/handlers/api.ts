import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { withEntityTag } from '../api/entity-tag.ts';
import { handleApiRequest } from '../api/handle-request.ts';
import { answerResponse, errorToResponse, HttpRefusal } from '../api/problem.ts';
import { matchRoute, type Route } from '../api/routes.ts';
import type { Dependencies } from '../core/ports.ts';
import { flushMetrics, withLambdaContext } from './middlewares.ts';

/** Request bodies above this are refused with 413 (a config is a few hundred bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The `api` Lambda: API Gateway HTTP API (payload v2) in, JSON or problem+json out. Auth happens
 * before it: the AWS_IAM authorizer on AWS, the bearer token in the local runner. Recognise the
 * route, read the body, run the route (one core call), answer with its data or its error.
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
        const route = recogniseRoute(method, event.rawPath);
        const body = readBody(event);
        const query = Object.fromEntries(new URLSearchParams(event.rawQueryString ?? ''));
        const data = await handleApiRequest(deps, method, { route, query, body });
        return withEntityTag(method, event.headers?.['if-none-match'], answerResponse(data));
      } catch (error) {
        return errorToResponse(error, deps.logger);
      }
    });
}

function recogniseRoute(method: string, path: string): Route {
  const match = matchRoute(method, path);
  if (match.kind === 'route') return match.route;
  if (match.kind === 'not-found') throw new HttpRefusal(404, `no route for ${method} ${path}`);
  const allowed = match.allowed.join(', ');
  throw new HttpRefusal(405, `${method} is not allowed on ${path}; use ${allowed}`, {}, { allow: allowed });
}

/** The parsed JSON body, or undefined when there is none. */
function readBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES)
    throw new HttpRefusal(413, `body: ${bytes.byteLength} bytes is over the ${MAX_BODY_BYTES}-byte limit`);
  const contentType = (event.headers?.['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json' && !contentType?.endsWith('+json')) {
    throw new HttpRefusal(415, `body: content-type ${contentType} is not JSON; send application/json`);
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new HttpRefusal(400, `body: not valid JSON (${(error as Error).message})`, { field: 'body' });
  }
}
