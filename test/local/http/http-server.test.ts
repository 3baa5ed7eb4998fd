import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/core/errors.ts';
import type { Logger } from '../../../src/core/ports.ts';
import { createLocalHttpServer } from '../../../src/local/http/http-server.ts';
import type { EcrImageActionEvent } from '../../../src/local/registry/registry-events.ts';

const TOKEN = 'api-token-for-tests-0123456789';
const SECRET = 'registry-secret-for-tests-0123456789';
const EVENTS_TYPE = 'application/vnd.docker.distribution.events.v1+json';
const DIGEST = `sha256:${'a'.repeat(64)}`;

interface Harness {
  baseUrl: string;
  pushes: EcrImageActionEvent[];
  apiEvents: APIGatewayProxyEventV2[];
  logLines: string[];
  /** Event id → how many more times the push handler throws a retryable error for it. */
  failures: Map<string, number>;
  /** Event ids the push handler refuses for good (a non-retryable error). */
  refused: Set<string>;
  apiResult: { value: APIGatewayProxyResultV2 };
}

let server: Server;
let h: Harness;

function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

beforeEach(async () => {
  const pushes: EcrImageActionEvent[] = [];
  const apiEvents: APIGatewayProxyEventV2[] = [];
  const logLines: string[] = [];
  const failures = new Map<string, number>();
  const refused = new Set<string>();
  const apiResult: { value: APIGatewayProxyResultV2 } = {
    value: { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"repositories":[]}' },
  };
  server = createLocalHttpServer({
    apiToken: TOKEN,
    webhookSecret: SECRET,
    logger: recordingLogger(logLines),
    onImagePush: async (event) => {
      if (refused.has(event.id)) throw new InvalidInputError('malformed ECR Image Action event');
      const remaining = failures.get(event.id) ?? 0;
      if (remaining > 0) {
        failures.set(event.id, remaining - 1);
        throw new Error('registry unavailable');
      }
      pushes.push(event);
    },
    api: async (event) => {
      apiEvents.push(event);
      if (event.rawPath === '/v1/health')
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' };
      return apiResult.value;
    },
    metricsText: () => 'manifest_assembler_versions_published_total 7\n',
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  h = { baseUrl: `http://127.0.0.1:${port}`, pushes, apiEvents, logLines, failures, refused, apiResult };
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function pushEvent(id: string, tag: string | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    timestamp: '2026-11-27T20:59:49.053985494Z',
    action: 'push',
    target: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: DIGEST,
      repository: 'team/hello',
      ...(tag === undefined ? {} : { tag }),
      ...extra,
    },
  };
}

function postHook(events: unknown[], init: { secret?: string | null; contentType?: string; body?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? EVENTS_TYPE };
  const secret = init.secret === undefined ? SECRET : init.secret;
  if (secret !== null) headers.authorization = `Bearer ${secret}`;
  return fetch(`${h.baseUrl}/v1/hooks/registry`, { method: 'POST', headers, body: init.body ?? JSON.stringify({ events }) });
}

describe('createLocalHttpServer', () => {
  describe('POST /v1/hooks/registry', () => {
    it('hands a tagged manifest push to the push handler as an ECR event and answers 200', async () => {
      const response = await postHook([pushEvent('e1', '2.7-arm64')]);
      expect(response.status).toBe(200);
      expect(h.pushes).toHaveLength(1);
      expect(h.pushes[0]).toMatchObject({
        id: 'e1',
        source: 'aws.ecr',
        'detail-type': 'ECR Image Action',
        detail: {
          'repository-name': 'team/hello',
          'image-tag': '2.7-arm64',
          'image-digest': DIGEST,
          'action-type': 'PUSH',
          result: 'SUCCESS',
        },
      });
    });

    it.each([
      ['no Authorization header', null],
      ['a wrong secret', 'not-the-secret'],
      ['the API token instead of the secret', TOKEN],
    ])('answers 401 problem+json with %s and runs nothing', async (_name, secret) => {
      const response = await postHook([pushEvent('e1', '2.7-arm64')], { secret });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const problem = (await response.json()) as Record<string, unknown>;
      expect(problem).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(JSON.stringify(problem)).not.toContain(SECRET);
      expect(h.pushes).toHaveLength(0);
    });

    it('accepts application/json too', async () => {
      expect((await postHook([pushEvent('e1', 't-amd64')], { contentType: 'application/json; charset=utf-8' })).status).toBe(200);
      expect(h.pushes).toHaveLength(1);
    });

    it('answers 415 for another content type', async () => {
      expect((await postHook([pushEvent('e1', 't-amd64')], { contentType: 'text/plain' })).status).toBe(415);
      expect(h.pushes).toHaveLength(0);
    });

    it('answers 413 for a body over 1 MiB', async () => {
      const padding = 'x'.repeat(1024 * 1024);
      const response = await postHook([], { body: JSON.stringify({ events: [], padding }) });
      expect(response.status).toBe(413);
      expect(h.pushes).toHaveLength(0);
    });

    it('answers 400 for a body that is not an envelope', async () => {
      expect((await postHook([], { body: '{"event":[]}' })).status).toBe(400);
      expect((await postHook([], { body: 'not json' })).status).toBe(400);
    });

    it('skips pushes without a tag, deletes and mounts, with one log line each, and answers 200', async () => {
      const response = await postHook([
        pushEvent('no-tag', undefined),
        { id: 'del', timestamp: 't', action: 'delete', target: { repository: 'team/hello', digest: DIGEST } },
        {
          id: 'mnt',
          timestamp: 't',
          action: 'mount',
          target: { repository: 'team/hello', digest: DIGEST, mediaType: 'application/octet-stream', fromRepository: 'other' },
        },
        pushEvent('blob', undefined, { mediaType: 'application/octet-stream' }),
        { id: 'bad', action: 'push' },
      ]);
      expect(response.status).toBe(200);
      expect(h.pushes).toHaveLength(0);
      for (const id of ['no-tag', 'del', 'mnt', 'blob', 'bad']) {
        expect(h.logLines.filter((line) => line.includes(`"id":"${id}"`))).toHaveLength(1);
      }
      expect(h.logLines.find((l) => l.includes('"id":"no-tag"'))).toMatch(/without a tag/);
      expect(h.logLines.find((l) => l.includes('"id":"del"'))).toMatch(/action is delete/);
      expect(h.logLines.find((l) => l.includes('"id":"mnt"'))).toMatch(/action is mount/);
    });

    it('handles the events of one POST in order', async () => {
      const response = await postHook([pushEvent('e1', '1-amd64'), pushEvent('e2', '1-arm64'), pushEvent('e3', '2-amd64')]);
      expect(response.status).toBe(200);
      expect(h.pushes.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    });

    it('runs the handler once for an event delivered twice', async () => {
      await postHook([pushEvent('e1', '1-amd64')]);
      const again = await postHook([pushEvent('e1', '1-amd64')]);
      expect(again.status).toBe(200);
      expect(h.pushes).toHaveLength(1);
    });

    it('runs the handler once when the registry resends an event whose first delivery is still being handled', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      const slow = createLocalHttpServer({
        apiToken: TOKEN,
        webhookSecret: SECRET,
        logger: recordingLogger(h.logLines),
        onImagePush: async () => {
          calls += 1;
          await gate;
        },
        api: async () => ({ statusCode: 200 }),
      });
      await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1/hooks/registry`;
        const post = () =>
          fetch(url, {
            method: 'POST',
            headers: { authorization: `Bearer ${SECRET}`, 'content-type': EVENTS_TYPE },
            body: JSON.stringify({ events: [pushEvent('e1', '1-amd64')] }),
          });
        const first = post();
        while (calls === 0) await new Promise((r) => setTimeout(r, 5));
        let received = 1;
        slow.on('request', () => (received += 1));
        const second = post();
        while (received < 2) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, 20)); // and let it read its body and reach the handler
        release();
        expect((await first).status).toBe(200);
        expect((await second).status).toBe(200);
        expect(calls).toBe(1);
      } finally {
        slow.closeAllConnections();
        await new Promise((resolve) => slow.close(resolve));
      }
    });

    describe('when the push handler throws', () => {
      it('answers 500, does not remember the event, and handles it when it is redelivered', async () => {
        h.failures.set('e1', 2);
        const first = await postHook([pushEvent('e1', '1-amd64')]);
        expect(first.status).toBe(500);
        expect(first.headers.get('content-type')).toBe('application/problem+json');
        expect((await postHook([pushEvent('e1', '1-amd64')])).status).toBe(500);
        expect(h.pushes).toHaveLength(0);
        expect((await postHook([pushEvent('e1', '1-amd64')])).status).toBe(200);
        expect(h.pushes.map((e) => e.id)).toEqual(['e1']);
        expect((await postHook([pushEvent('e1', '1-amd64')])).status).toBe(200);
        expect(h.pushes).toHaveLength(1);
      });

      it('stops at the failing event: those before it are not run again, those after it wait', async () => {
        const events = [pushEvent('e1', '1-amd64'), pushEvent('e2', '1-arm64'), pushEvent('e3', '2-amd64')];
        h.failures.set('e2', 1);
        expect((await postHook(events)).status).toBe(500);
        expect(h.pushes.map((e) => e.id)).toEqual(['e1']);
        expect((await postHook(events)).status).toBe(200);
        expect(h.pushes.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
      });
    });

    describe('when the push handler refuses an event with a non-retryable error', () => {
      it('drops it with an error log line and goes on with the next events, answering 200', async () => {
        h.refused.add('e1');
        const response = await postHook([pushEvent('e1', '1-amd64'), pushEvent('e2', '1-arm64')]);
        expect(response.status).toBe(200);
        expect(h.pushes.map((e) => e.id)).toEqual(['e2']);
        expect(
          h.logLines.filter((line) => line.startsWith('error') && line.includes('"id":"e1"') && line.includes('dead-letter')),
        ).toHaveLength(1);
      });
    });

    describe('with an inbox', () => {
      let inboxServer: Server;
      let url: string;
      const accepted: string[] = [];
      let failing = false;

      beforeEach(async () => {
        accepted.length = 0;
        failing = false;
        inboxServer = createLocalHttpServer({
          apiToken: TOKEN,
          webhookSecret: SECRET,
          logger: recordingLogger(h.logLines),
          onImagePush: async (event) => {
            h.pushes.push(event);
          },
          inbox: {
            accept: async ({ id }) => {
              if (failing) throw new Error('dynalite is not answering');
              if (accepted.includes(id)) return 'recorded-already';
              accepted.push(id);
              return 'recorded';
            },
          },
          api: async () => ({ statusCode: 200 }),
        });
        await new Promise<void>((resolve) => inboxServer.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(inboxServer.address() as AddressInfo).port}/v1/hooks/registry`;
      });

      afterEach(async () => {
        inboxServer.closeAllConnections();
        await new Promise((resolve) => inboxServer.close(resolve));
      });

      const post = (events: unknown[]) =>
        fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${SECRET}`, 'content-type': EVENTS_TYPE },
          body: JSON.stringify({ events }),
        });

      it('records each tagged push in order and answers 200 without running the handler itself', async () => {
        const response = await post([pushEvent('e1', '1-amd64'), pushEvent('no-tag', undefined), pushEvent('e2', '1-arm64')]);
        expect(response.status).toBe(200);
        expect(accepted).toEqual(['e1', 'e2']);
        expect(h.pushes).toEqual([]);
        expect((await post([pushEvent('e1', '1-amd64')])).status).toBe(200);
        expect(accepted).toEqual(['e1', 'e2']);
      });

      it('answers 500 when a push cannot be recorded, so that the registry sends it again', async () => {
        failing = true;
        const response = await post([pushEvent('e1', '1-amd64')]);
        expect(response.status).toBe(500);
        expect(
          h.logLines.filter(
            (line) => line.startsWith('error') && line.includes('could not record') && line.includes('dynalite is not answering'),
          ),
        ).toHaveLength(1);
        failing = false;
        expect((await post([pushEvent('e1', '1-amd64')])).status).toBe(200);
        expect(accepted).toEqual(['e1']);
      });
    });

    it('never logs the secret', async () => {
      await postHook([pushEvent('e1', '1-amd64')], { secret: 'wrong' });
      await postHook([pushEvent('e2', '1-amd64')]);
      expect(h.logLines.join('\n')).not.toContain(SECRET);
    });

    it('answers 405 to other methods', async () => {
      expect((await fetch(`${h.baseUrl}/v1/hooks/registry`)).status).toBe(405);
    });
  });

  describe('API routes', () => {
    it('serves GET /v1/health without a token', async () => {
      const response = await fetch(`${h.baseUrl}/v1/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('passes GET /v1/openapi.json to the handler without a token', async () => {
      const response = await fetch(`${h.baseUrl}/v1/openapi.json`);
      expect(response.status).toBe(200);
      expect(h.apiEvents.map((e) => e.rawPath)).toEqual(['/v1/openapi.json']);
    });

    it.each([
      ['GET', '/v1/repositories'],
      ['PUT', '/v1/repositories/team/hello/config'],
      ['POST', '/v1/health'],
      ['POST', '/v1/openapi.json'],
      ['GET', '/v1/openapi.json/x'],
      ['GET', '/v1'],
    ])('answers 401 problem+json to %s %s without the token and does not call the handler', async (method, path) => {
      const response = await fetch(`${h.baseUrl}${path}`, { method });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(h.apiEvents).toHaveLength(0);
    });

    it.each([['Bearer wrong-token'], [`Basic ${TOKEN}`], [`Bearer ${SECRET}`], [TOKEN]])(
      'answers 401 with Authorization: %s',
      async (authorization) => {
        expect((await fetch(`${h.baseUrl}/v1/repositories`, { headers: { authorization } })).status).toBe(401);
        expect(h.apiEvents).toHaveLength(0);
      },
    );

    it('passes an authorised request to the API handler as an API Gateway v2 event and returns its result', async () => {
      h.apiResult.value = { statusCode: 201, headers: { 'Content-Type': 'application/json', 'X-Thing': 'yes' }, body: '{"ok":true}' };
      const response = await fetch(`${h.baseUrl}/v1/repositories/team/hello/config?x=1&x=2`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: '{"requiredPlatforms":["linux/amd64"]}',
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('x-thing')).toBe('yes');
      expect(await response.json()).toEqual({ ok: true });
      expect(h.apiEvents).toHaveLength(1);
      expect(h.apiEvents[0]).toMatchObject({
        version: '2.0',
        routeKey: '$default',
        rawPath: '/v1/repositories/team/hello/config',
        rawQueryString: 'x=1&x=2',
        queryStringParameters: { x: '1,2' },
        body: '{"requiredPlatforms":["linux/amd64"]}',
        isBase64Encoded: false,
        requestContext: { http: { method: 'PUT', path: '/v1/repositories/team/hello/config', sourceIp: '127.0.0.1' }, stage: '$default' },
      });
      expect(h.apiEvents[0]?.headers['content-type']).toBe('application/json');
    });

    it('answers 413 for a body over 1 MiB without calling the handler', async () => {
      const response = await fetch(`${h.baseUrl}/v1/repositories/hello/config`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: `"${'x'.repeat(1024 * 1024)}"`,
      });
      expect(response.status).toBe(413);
      expect(h.apiEvents).toHaveLength(0);
    });

    it('serves the dashboard page at / without a token, with its CSP, and never hands it to the API', async () => {
      const response = await fetch(`${h.baseUrl}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
      expect(await response.text()).toContain('<title>manifest-assembler</title>');
      const etag = response.headers.get('etag') ?? '';
      expect((await fetch(`${h.baseUrl}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
      expect((await fetch(`${h.baseUrl}/dashboard/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect((await fetch(`${h.baseUrl}/`, { method: 'POST' })).status).toBe(405);
      expect(h.apiEvents).toEqual([]);
    });

    it('serves /metrics in the Prometheus text format behind the API token, GET only', async () => {
      expect((await fetch(`${h.baseUrl}/metrics`)).status).toBe(401);
      const response = await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await response.text()).toBe('manifest_assembler_versions_published_total 7\n');
      expect((await fetch(`${h.baseUrl}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
    });

    it('answers 404 outside /v1', async () => {
      expect((await fetch(`${h.baseUrl}/v2/`)).status).toBe(404);
    });

    it('answers 500 problem+json when the API handler throws, and keeps serving', async () => {
      const failing = createLocalHttpServer({
        apiToken: TOKEN,
        webhookSecret: SECRET,
        logger: recordingLogger(h.logLines),
        onImagePush: async () => undefined,
        api: async () => {
          throw new Error('boom');
        },
      });
      await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/v1/repositories`;
        const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(response.status).toBe(500);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(500);
        expect(h.logLines.filter((line) => line.startsWith('error http server: request failed') && line.includes('boom'))).toHaveLength(2);
      } finally {
        failing.closeAllConnections();
        await new Promise((resolve) => failing.close(resolve));
      }
    });

    it('never logs the token', async () => {
      await fetch(`${h.baseUrl}/v1/repositories`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await fetch(`${h.baseUrl}/v1/repositories`, { headers: { authorization: 'Bearer nope' } });
      expect(h.logLines.join('\n')).not.toContain(TOKEN);
    });
  });
});
