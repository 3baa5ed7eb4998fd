import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createDependencies } from '../../src/composition.ts';
import type { Dependencies } from '../../src/core/ports.ts';
import { CapturingLogger, idGenerator, ManualClock } from '../support/fakes.ts';
import { InMemoryImageRegistry } from '../support/in-memory-image-registry.ts';
import { InMemoryVersionStore } from '../support/in-memory-version-store.ts';

export interface Harness {
  readonly deps: Dependencies;
  readonly registry: InMemoryImageRegistry;
  readonly store: InMemoryVersionStore;
  readonly logger: CapturingLogger;
  readonly clock: ManualClock;
}

export function makeHarness(): Harness {
  const registry = new InMemoryImageRegistry();
  const store = new InMemoryVersionStore();
  const logger = new CapturingLogger();
  const clock = new ManualClock();
  const deps = createDependencies({ registry, store, logger, clock, newId: idGenerator() });
  return { deps, registry, store, logger, clock };
}

/** A Lambda context without getRemainingTimeInMillis, so middy's early-timeout timer stays off. */
export const lambdaContext = { awsRequestId: 'test-request', functionName: 'test' } as unknown as Context;

export function apiEvent(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; query?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r1',
      routeKey: '$default',
      stage: '$default',
      time: '27/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
    },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
  };
}

export { ecrPushEvent } from '../support/ecr-event.ts';
