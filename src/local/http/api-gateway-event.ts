import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';

/** Invokes the API handler with one API Gateway HTTP API (payload 2.0) event. */
export type ApiInvoker = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

/** The parts of an HTTP request an API Gateway event is made of. */
export interface HttpRequestParts {
  readonly method: string;
  /** The request target as received: path and query, not decoded. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly now: Date;
}

/** A response ready to be written by node:http. */
export interface HttpResponseParts {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

const TEXT_MEDIA_TYPE = /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml)$|application\/x-www-form-urlencoded$)/;

/**
 * Builds the event API Gateway's HTTP API sends a Lambda integration (payload format 2.0,
 * `$default` route): header names lower-cased, repeated headers and query parameters joined with
 * commas, cookies apart, the body as text when its type is textual and base64 otherwise.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function toApiGatewayEvent(request: HttpRequestParts): APIGatewayProxyEventV2 {
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.url.slice(queryStart + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies = (Array.isArray(value) ? value : [value])
        .flatMap((line) => line.split(';'))
        .map((c) => c.trim())
        .filter((c) => c !== '');
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryStringParameters = parseQuery(rawQueryString);
  const isText =
    request.body.length === 0 || TEXT_MEDIA_TYPE.test((headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies === undefined ? {} : { cookies }),
    headers,
    ...(queryStringParameters === undefined ? {} : { queryStringParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: request.now.toISOString(),
      timeEpoch: request.now.getTime(),
    },
    ...(request.body.length === 0 ? {} : { body: isText ? request.body.toString('utf8') : request.body.toString('base64') }),
    isBase64Encoded: request.body.length > 0 && !isText,
  };
}

/**
 * Turns a handler's result into a response the way API Gateway does for payload 2.0: a structured
 * result is used as it is (status 200 when missing); anything else (a string, an object without
 * `statusCode`) becomes a 200 JSON body.
 */
export function fromApiGatewayResult(result: APIGatewayProxyResultV2): HttpResponseParts {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const body = Buffer.from(typeof result === 'string' ? result : JSON.stringify(result), 'utf8');
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies !== undefined && result.cookies.length > 0) headers['set-cookie'] = [...result.cookies];
  const text = result.body ?? '';
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode: result.statusCode ?? 200, headers, body };
}

function parseQuery(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return parameters;
}
