import { createHash } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * Conditional GET for the API: a 200 answer to a GET carries a strong ETag of its body, and a
 * request whose If-None-Match names that ETag gets an empty 304 instead. What the dashboard polls
 * with: an unchanged state costs no body, here or through API Gateway.
 */
export function withEntityTag(
  method: string,
  ifNoneMatch: string | undefined,
  response: APIGatewayProxyStructuredResultV2,
): APIGatewayProxyStructuredResultV2 {
  if (method !== 'GET' || response.statusCode !== 200 || typeof response.body !== 'string' || response.isBase64Encoded === true)
    return response;
  const etag = `"${createHash('sha256').update(response.body, 'utf8').digest('base64url').slice(0, 27)}"`;
  if (ifNoneMatch !== undefined && matchesEntityTag(ifNoneMatch, etag)) {
    return { statusCode: 304, headers: { etag }, body: '' };
  }
  return { ...response, headers: { ...response.headers, etag } };
}

/** If-None-Match holds `*` or a list of tags; a weak form of ours matches too (weak comparison, RFC 9110). */
function matchesEntityTag(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}
