import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaTypes } from '../../../src/core/media-types.ts';
import { normaliseRepositoryConfig } from '../../../src/core/repository-config.ts';
import { createOnImagePushHandler } from '../../../src/handlers/on-image-push.ts';
import { createConsoleLogger } from '../../../src/local/console-logger.ts';
import { createLocalHttpServer } from '../../../src/local/http/http-server.ts';
import { REGISTRY_EVENTS_MEDIA_TYPE } from '../../../src/local/registry/registry-webhook.ts';
import { lambdaContext, makeHarness } from '../../handlers/handler-harness.ts';

const SECRET = 'registry-secret-for-tests-0123456789';
/** What a forger would like the runner's log to show: a line of its own, in the runner's format. */
const FORGED = '2026-12-01T00:00:00.000Z info  push recorded repository=team/app version=9.9 publish=published';

describe('the runner log, fed by the registry webhook and the real push handler', () => {
  let server: Server;
  let url: string;
  let writes: string[];

  beforeEach(async () => {
    const h = makeHarness();
    await h.store.putRepositoryConfig('team/app', normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }));
    writes = [];
    const handler = createOnImagePushHandler({ ...h.deps, logger: createConsoleLogger('debug', (line) => writes.push(line)) });
    server = createLocalHttpServer({
      apiToken: 'api-token-for-tests-0123456789',
      webhookSecret: SECRET,
      logger: createConsoleLogger('debug', (line) => writes.push(line)),
      onImagePush: (event) => handler(event, lambdaContext),
      api: async () => ({ statusCode: 404 }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/hooks/registry`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  describe.each([
    ['the tag', { repository: 'team/app', tag: `1.0-amd64\r\n${FORGED}` }, 'version=9.9'],
    ['the tag, with LF only', { repository: 'team/app', tag: `1.0-amd64\n${FORGED}` }, 'version=9.9'],
    // A repository name with CR/LF breaks the name grammar: the event is dropped as invalid, with a
    // line that names the problem, not the forged text.
    ['the repository', { repository: `team/app\r\n${FORGED}`, tag: '1.0-amd64' }, 'dropped an invalid event'],
  ])('when a notification carries CR/LF and a forged line in %s', (_, target, expected) => {
    it('logs what it did with it on lines of its own, the forged text escaped inside them', async () => {
      const event = {
        id: 'forged-1',
        timestamp: '2026-12-01T00:00:00Z',
        action: 'push',
        target: { mediaType: MediaTypes.ociManifest, digest: `sha256:${'a'.repeat(64)}`, ...target },
      };
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': REGISTRY_EVENTS_MEDIA_TYPE },
        body: JSON.stringify({ events: [event] }),
      });
      await response.arrayBuffer();
      expect(response.status).toBeLessThan(500);

      const lines = writes.join('').split('\n').slice(0, -1);
      expect(lines.length).toBe(writes.length);
      expect(lines.some((line) => line.includes(expected))).toBe(true);
      expect(lines.filter((line) => line.startsWith('2026-12-01T00:00:00.000Z'))).toEqual([]);
      for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z (debug|info |warn |error) /);
    });
  });
});
