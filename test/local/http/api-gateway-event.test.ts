import { describe, expect, it } from 'vitest';
import { fromApiGatewayResult, toApiGatewayEvent } from '../../../src/local/http/api-gateway-event.ts';

const base = {
  method: 'get',
  url: '/v1/repositories',
  headers: { host: '127.0.0.1:8080' },
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
  now: new Date('2026-11-27T10:00:00.000Z'),
};

describe('toApiGatewayEvent', () => {
  it('builds a payload 2.0 event for the $default route', () => {
    expect(toApiGatewayEvent(base)).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v1/repositories',
      rawQueryString: '',
      headers: { host: '127.0.0.1:8080' },
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'GET', path: '/v1/repositories', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' },
        routeKey: '$default',
        stage: '$default',
        time: '2026-11-27T10:00:00.000Z',
        timeEpoch: Date.parse('2026-11-27T10:00:00.000Z'),
        domainName: '127.0.0.1:8080',
      },
    });
    const event = toApiGatewayEvent(base);
    expect(event.body).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
  });

  it('keeps the path as received, slashes of repository names included', () => {
    const event = toApiGatewayEvent({ ...base, url: '/v1/repositories/team/hello/versions?state=waiting&limit=5' });
    expect(event.rawPath).toBe('/v1/repositories/team/hello/versions');
    expect(event.rawQueryString).toBe('state=waiting&limit=5');
    expect(event.queryStringParameters).toEqual({ state: 'waiting', limit: '5' });
  });

  it('joins repeated headers with commas and moves cookies apart', () => {
    const event = toApiGatewayEvent({ ...base, headers: { 'x-many': ['a', 'b'], cookie: 'a=1; b=2' } });
    expect(event.headers['x-many']).toBe('a,b');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['a=1', 'b=2']);
  });

  it.each([
    ['application/json', false],
    ['application/problem+json; charset=utf-8', false],
    ['text/plain', false],
    ['application/octet-stream', true],
    [undefined, true],
  ])('sends a body of type %s as %s base64', (contentType, base64) => {
    const body = Buffer.from('{"a":1}');
    const event = toApiGatewayEvent({
      ...base,
      method: 'PUT',
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      body,
    });
    expect(event.isBase64Encoded).toBe(base64);
    expect(event.body).toBe(base64 ? body.toString('base64') : '{"a":1}');
  });
});

describe('fromApiGatewayResult', () => {
  it('uses a structured result as it is, header names lower-cased', () => {
    const response = fromApiGatewayResult({
      statusCode: 404,
      headers: { 'Content-Type': 'application/problem+json' },
      body: '{"status":404}',
    });
    expect(response).toEqual({
      statusCode: 404,
      headers: { 'content-type': 'application/problem+json' },
      body: Buffer.from('{"status":404}'),
    });
  });

  it('decodes a base64 body', () => {
    expect(fromApiGatewayResult({ statusCode: 200, body: Buffer.from([0, 1, 2]).toString('base64'), isBase64Encoded: true }).body).toEqual(
      Buffer.from([0, 1, 2]),
    );
  });

  it('sends cookies as set-cookie headers', () => {
    expect(fromApiGatewayResult({ statusCode: 204, cookies: ['a=1', 'b=2'] }).headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it.each([
    ['a string', 'hello', 'hello'],
    ['an object without statusCode', { repositories: [] } as never, '{"repositories":[]}'],
  ])('turns %s into a 200 JSON body, as API Gateway does', (_name, result, body) => {
    expect(fromApiGatewayResult(result)).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body),
    });
  });
});
