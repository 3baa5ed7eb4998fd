import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDbVersionStore } from './adapters/dynamodb/dynamodb-version-store.ts';
import { OciHttpImageRegistry } from './adapters/oci-http/oci-http-image-registry.ts';
import { PrefetchingImageRegistry } from './adapters/prefetching-image-registry.ts';
import { DynamoDbOutbox } from './adapters/webhook/dynamodb-outbox.ts';
import { NotifyDelivery } from './adapters/webhook/notify-delivery.ts';
import { OutboxVersionEvents } from './adapters/webhook/outbox-version-events.ts';
import { CONFIG_MAX_AGE_MS, createDependencies, REGISTRY_CALL_TIMEOUT_MS } from './composition.ts';
import type { Metrics } from './core/metrics.ts';
import type { Dependencies, Logger } from './core/ports.ts';

/**
 * The local half of the composition root (src/composition.ts): the adapters the local stack runs
 * the handlers with. A module of its own, which no Lambda entry point imports: esbuild shapes a
 * bundle's chunks by every import it sees, even in a function it then drops, so local-only adapters
 * imported from src/composition.ts split the Lambda bundles into more files to load at a cold start.
 */

/**
 * distribution sends its push notification before it writes the tag: the local handlers wait up to
 * this long for a pushed tag to reach the pushed digest (looking every `pollMs`).
 */
export const LOCAL_TAG_SETTLE = { waitMs: 1_000, pollMs: 10 } as const;

/** The table the local stack keeps its state in (inside dynalite's data folder). */
export const LOCAL_TABLE_NAME = 'manifest-assembler';

/**
 * A DynamoDB client for dynalite at `endpoint`, cheap per request: every push costs the runner a
 * handful of DynamoDB requests, and the SDK's own work on each (resolving the middleware stack,
 * signing) was most of its CPU outside dynalite (docs/performance.md). Middleware added to the client
 * must be added before its first command ({@link DynamoDBClientConfig.cacheMiddleware}).
 */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    // dynalite accepts any credentials; fixed ones keep the SDK from searching ~/.aws or IMDS.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // The middleware stack resolved once per command type, not once per request.
    cacheMiddleware: true,
    signer: DYNALITE_SIGNER,
  });
}

/**
 * dynalite wants an AWS4 `Authorization` header and a date on every request but never checks the
 * signature (its index.js), so the local client sends fixed ones instead of signing (SigV4: a
 * canonical request, a hash and an HMAC chain per request).
 */
const DYNALITE_SIGNER: NonNullable<DynamoDBClientConfig['signer']> = {
  sign: async (request) => {
    request.headers['x-amz-date'] = '20260101T000000Z';
    request.headers.authorization =
      'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';
    return request;
  },
};

/**
 * Dependencies for the local stack: the OCI-HTTP registry adapter on the local registry and the
 * DynamoDB store on dynalite. `close` releases the DynamoDB client's and the registry client's connections.
 */
export function localDependencies(parts: {
  registryUrl: string;
  dynamoEndpoint: string;
  logger: Logger;
  metrics?: Metrics;
  /** Where outcome events are POSTed and the key they are signed with. */
  notify?: { urls: readonly string[]; secret: string };
}): {
  deps: Dependencies;
  client: DynamoDBClient;
  /** The handlers' registry: it can start a push's reads by digest before the push's handler runs. */
  registry: PrefetchingImageRegistry;
  /** Delivers the queued outcome events; start it once the table exists. */
  delivery: NotifyDelivery;
  close: () => void;
} {
  const client = localDynamoClient(parts.dynamoEndpoint);
  const outbox = new DynamoDbOutbox({ client, tableName: LOCAL_TABLE_NAME });
  const delivery = new NotifyDelivery({ outbox, urls: parts.notify?.urls ?? [], secret: parts.notify?.secret ?? '', logger: parts.logger });
  const registryClient = new OciHttpImageRegistry({ baseUrl: parts.registryUrl, timeoutMs: REGISTRY_CALL_TIMEOUT_MS });
  const registry = new PrefetchingImageRegistry(registryClient);
  const deps = createDependencies({
    registry,
    store: new DynamoDbVersionStore({ client, tableName: LOCAL_TABLE_NAME }),
    logger: parts.logger,
    events: new OutboxVersionEvents({
      outbox,
      urls: parts.notify?.urls ?? [],
      registryUrl: parts.registryUrl,
      logger: parts.logger,
      onQueued: () => delivery.wake(),
    }),
    ...(parts.metrics === undefined ? {} : { metrics: parts.metrics }),
    configMaxAgeMs: CONFIG_MAX_AGE_MS,
    tagSettle: LOCAL_TAG_SETTLE,
  });
  const close = (): void => {
    client.destroy();
    registryClient.close();
  };
  return { deps, client, delivery, close, registry };
}
