import { describe, expect, it } from 'vitest';
import { withEntityTag } from '../../src/api/entity-tag.ts';

const ok = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"versions":[]}' };

describe('withEntityTag', () => {
  it('adds a strong ETag to a 200 GET, the same for the same body and another for another', () => {
    const a = withEntityTag('GET', undefined, ok);
    const etag = a.headers?.etag;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(withEntityTag('GET', undefined, ok).headers?.etag).toBe(etag);
    expect(withEntityTag('GET', undefined, { ...ok, body: '{"versions":[1]}' }).headers?.etag).not.toBe(etag);
    expect(a.body).toBe(ok.body);
  });

  it.each([
    { name: 'the same tag', header: (t: string) => t, want: 304 },
    { name: 'its weak form', header: (t: string) => `W/${t}`, want: 304 },
    { name: 'a list holding it', header: (t: string) => `"other", ${t}`, want: 304 },
    { name: '*', header: () => '*', want: 304 },
    { name: 'another tag', header: () => '"other"', want: 200 },
  ])('answers If-None-Match with $name by $want', ({ header, want }) => {
    const etag = String(withEntityTag('GET', undefined, ok).headers?.etag);
    const response = withEntityTag('GET', header(etag), ok);
    expect(response.statusCode).toBe(want);
    if (want === 304) expect(response).toEqual({ statusCode: 304, headers: { etag }, body: '' });
  });

  it('leaves other methods and statuses alone', () => {
    expect(withEntityTag('POST', '*', ok)).toBe(ok);
    const problem = { statusCode: 404, headers: {}, body: '{}' };
    expect(withEntityTag('GET', '*', problem)).toBe(problem);
  });
});
