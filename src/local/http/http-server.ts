import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE } from '../../adapters/observability/prometheus-metrics.ts';
import { OPENAPI_PATH } from '../../api/routes.ts';
import { describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/ports.ts';
import { serveDashboardAsset } from '../../dashboard/serve-dashboard.ts';
import type { ProcessedEventIds } from '../inbox/processed-event-ids.ts';
import type { RegistryInbox } from '../inbox/registry-inbox.ts';
import type { EventOrigin } from '../registry/registry-events.ts';
import { createRegistryWebhook, type ImagePushInvoker } from '../registry/registry-webhook.ts';
import { type ApiInvoker, fromApiGatewayResult, toApiGatewayEvent } from './api-gateway-event.ts';
import { hasBearerToken } from './bearer-auth.ts';
import { BodyTooLargeError, readBody, sendProblem } from './http-io.ts';

/** The path distribution's notifications are sent to. */
export const REGISTRY_HOOK_PATH = '/v1/hooks/registry';
const HEALTH_PATH = '/v1/health';
/** GET routes that need no token: health, and the API's description (nothing in either is secret). */
const OPEN_PATHS: ReadonlySet<string> = new Set([HEALTH_PATH, OPENAPI_PATH]);
/** Where a Prometheus server scrapes the local runner's metrics. */
export const METRICS_PATH = '/metrics';

export interface LocalHttpServerOptions {
  /** Bearer token every API route but `GET /v1/health` and `GET /v1/openapi.json` requires. */
  readonly apiToken: string;
  /** Bearer token the registry sends with its notifications. */
  readonly webhookSecret: string;
  readonly onImagePush: ImagePushInvoker;
  /** When given, the webhook records pushes here and answers at once (see {@link createRegistryWebhook}). */
  readonly inbox?: Pick<RegistryInbox, 'accept'>;
  readonly api: ApiInvoker;
  readonly logger: Logger;
  readonly origin?: EventOrigin;
  readonly processed?: ProcessedEventIds;
  /** Shown in the 401 for a missing API token, so a user knows where to look. */
  readonly tokenHint?: string;
  /** The Prometheus text `GET /metrics` answers with (behind the API token). */
  readonly metricsText?: () => string;
}

/**
 * The local runner's one HTTP server: the registry webhook, and the API as API Gateway would
 * invoke it. Neither the token nor the secret is ever logged or echoed. Call `listen` on
 * 127.0.0.1 only.
 */
export function createLocalHttpServer(options: LocalHttpServerOptions): Server {
  const { logger } = options;
  const webhook = createRegistryWebhook({
    secret: options.webhookSecret,
    onImagePush: options.onImagePush,
    logger,
    origin: options.origin ?? { account: '000000000000', region: 'us-east-1' },
    ...(options.processed === undefined ? {} : { processed: options.processed }),
    ...(options.inbox === undefined ? {} : { inbox: options.inbox }),
  });
  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path === REGISTRY_HOOK_PATH) {
      if (request.method !== 'POST') {
        sendProblem(response, 405, 'Method Not Allowed', `${REGISTRY_HOOK_PATH} accepts POST only`, { allow: 'POST' });
        return;
      }
      await webhook(request, response);
      return;
    }
    if (path === METRICS_PATH && options.metricsText !== undefined) {
      serveMetrics(request, response, options.metricsText, options);
      return;
    }
    if (path !== '/v1' && !path.startsWith('/v1/')) {
      // The dashboard page itself needs no token; the API calls it makes do.
      if (serveDashboardAsset(request, response)) return;
      sendProblem(response, 404, 'Not Found', `no route for ${path}: the API is under /v1, the dashboard at /`);
      return;
    }
    const isOpen = OPEN_PATHS.has(path) && request.method === 'GET';
    if (!isOpen && refusedWithoutToken(request, response, options)) return;
    await invokeApi(request, response, options.api);
  };
  return createServer((request, response) => {
    const started = performance.now();
    response.on('finish', () => {
      logger.debug('http request', {
        method: request.method,
        path: (request.url ?? '').split('?')[0],
        status: response.statusCode,
        ms: Math.round(performance.now() - started),
      });
    });
    route(request, response).catch((error: unknown) => {
      logger.error('http server: request failed', {
        method: request.method,
        path: (request.url ?? '').split('?')[0],
        error: describeError(error),
      });
      if (!response.headersSent)
        sendProblem(response, 500, 'Internal Server Error', 'the local runner failed to handle the request; see its log');
      else response.destroy();
    });
  });
}

async function invokeApi(request: IncomingMessage, response: ServerResponse, api: ApiInvoker): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(request);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendProblem(response, 413, 'Content Too Large', error.message, { connection: 'close' });
      return;
    }
    throw error;
  }
  const event = toApiGatewayEvent({
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    headers: request.headers,
    body,
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    now: new Date(),
  });
  const result = fromApiGatewayResult(await api(event));
  response.writeHead(result.statusCode, { ...result.headers, 'content-length': result.body.length });
  response.end(request.method === 'HEAD' ? undefined : result.body);
}

function serveMetrics(
  request: IncomingMessage,
  response: ServerResponse,
  metricsText: () => string,
  options: LocalHttpServerOptions,
): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendProblem(response, 405, 'Method Not Allowed', `${METRICS_PATH} accepts GET only`, { allow: 'GET, HEAD' });
    return;
  }
  if (refusedWithoutToken(request, response, options)) return;
  const body = metricsText();
  response.writeHead(200, {
    'content-type': PROMETHEUS_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Answers 401 (saying where the token is) unless the request carries the API token. */
function refusedWithoutToken(request: IncomingMessage, response: ServerResponse, options: LocalHttpServerOptions): boolean {
  if (hasBearerToken(request.headers, options.apiToken)) return false;
  sendProblem(
    response,
    401,
    'Unauthorized',
    `this route needs Authorization: Bearer <token>${options.tokenHint ? `; the token is in ${options.tokenHint}` : ''}`,
    {
      'www-authenticate': 'Bearer',
    },
  );
  return true;
}
