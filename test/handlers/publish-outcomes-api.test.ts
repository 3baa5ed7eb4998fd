import { describe, expect, it } from 'vitest';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { createApiHandler } from '../../src/handlers/api.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import { apiEvent, ecrPushEvent, type Harness, lambdaContext, makeHarness } from './handler-harness.ts';

const PUBLISH = '/v1/repositories/hello/versions/2.7/publish';

function call(h: Harness, ...args: Parameters<typeof apiEvent>) {
  return createApiHandler(h.deps, { timeoutEarlyInMillis: 0 })(apiEvent(...args), lambdaContext);
}

/** hello requires amd64 and arm64; only 2.7-amd64 has been pushed. */
async function halfPushed(): Promise<Harness> {
  const h = makeHarness();
  await call(h, 'PUT', '/v1/repositories/hello/config', { body: { requiredPlatforms: ['linux/amd64', 'linux/arm64'] } });
  const { digest } = h.registry.addImage('hello', { platform: 'linux/amd64', tag: '2.7-amd64' }).manifest;
  await createOnImagePushHandler(h.deps)(ecrPushEvent('hello', digest, '2.7-amd64'), lambdaContext);
  return h;
}

// POST …/publish turns each outcome the core use case throws into one problem; these pin the whole bodies.
describe('POST …/publish (real middy pipeline)', () => {
  describe('when required platforms are missing', () => {
    it('answers 409 incomplete with the missing platforms and the status', async () => {
      const h = await halfPushed();
      const response = await call(h, 'POST', PUBLISH, { body: {} });
      expect(response.statusCode).toBe(409);
      const problem = JSON.parse(response.body ?? '');
      expect(Object.keys(problem).sort()).toEqual(['code', 'detail', 'missingPlatforms', 'status', 'title', 'type', 'version']);
      expect(problem).toMatchObject({
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        code: 'incomplete',
        missingPlatforms: ['linux/arm64'],
        detail: 'hello:2.7 is missing linux/arm64; publish with allowPartial to publish what is there',
        version: { repository: 'hello', version: '2.7', state: 'waiting', missingPlatforms: ['linux/arm64'] },
      });
    });
  });

  describe('when the registry refuses the index', () => {
    it('answers 502 with the status and, as always, no code member', async () => {
      const h = await halfPushed();
      h.registry.failNext('putManifest', 5, () => new RegistryError(ErrorCodes.denied, 'denied: not allowed to put hello:2.7'));
      const response = await call(h, 'POST', PUBLISH, { body: { allowPartial: true } });
      expect(response.statusCode).toBe(502);
      expect(response.headers).toEqual({ 'content-type': 'application/problem+json' });
      const problem = JSON.parse(response.body ?? '');
      expect(Object.keys(problem).sort()).toEqual(['detail', 'status', 'title', 'type', 'version']);
      expect(problem).toMatchObject({
        type: 'about:blank',
        title: 'Bad Gateway',
        status: 502,
        version: { repository: 'hello', version: '2.7', published: null, error: 'denied: not allowed to put hello:2.7' },
      });
      expect(problem.detail).toContain('denied: not allowed to put hello:2.7');
    });
  });

  describe('when the version was never pushed', () => {
    it('answers 404 not-found naming it', async () => {
      const h = await halfPushed();
      const response = await call(h, 'POST', '/v1/repositories/hello/versions/9.9/publish', { body: {} });
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(response.body ?? '')).toEqual({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        code: 'not-found',
        repository: 'hello',
        version: '9.9',
        detail: 'no push of hello version 9.9 has been recorded',
      });
    });
  });
});
