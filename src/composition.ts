import { randomUUID } from 'node:crypto';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { withCachedConfigs } from './adapters/dynamodb/cached-config-store.ts';
import { DynamoDbVersionStore } from './adapters/dynamodb/dynamodb-version-store.ts';
import { createEcrClient, EcrImageRegistry } from './adapters/ecr/ecr-image-registry.ts';
import { LogOnlyVersionEvents } from './adapters/events/log-only-version-events.ts';
import { CloudWatchEmfMetrics } from './adapters/observability/cloudwatch-emf-metrics.ts';
import { LambdaJsonLogger } from './adapters/observability/lambda-json-logger.ts';
import { meteredRegistry, meteredStore } from './adapters/observability/metered-ports.ts';
import type { NotifyDelivery } from './adapters/webhook/notify-delivery.ts';
import type { Metrics } from './core/metrics.ts';
import type { Clock, Dependencies, ImageRegistry, Logger, VersionEvents, VersionStore } from './core/ports.ts';
import { RecentPuts } from './core/recent-puts.ts';

/**
 * The composition root: the only place that picks and constructs adapters. Lambda entry points
 * call {@link dependenciesFromEnv}, the local runner {@link localDependencies}; tests call
 * {@link createDependencies} with the adapters (or fakes) they built.
 */

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function createDependencies(parts: {
  registry: ImageRegistry;
  store: VersionStore;
  logger?: Logger;
  clock?: Clock;
  newId?: () => string;
  /** Where outcome events go; without one each is logged as not sent. */
  events?: VersionEvents;
  /** With metrics, registry and store calls that throw are counted too. */
  metrics?: Metrics;
  /** How long a repository config read may be reused ({@link CONFIG_MAX_AGE_MS} in production); 0 or absent: never. */
  configMaxAgeMs?: number;
  /** See {@link Dependencies.tagSettle}: for a registry that notifies before it moves the tag. */
  tagSettle?: Dependencies['tagSettle'];
}): Dependencies {
  const { metrics, configMaxAgeMs = 0 } = parts;
  const logger = parts.logger ?? new LambdaJsonLogger();
  const clock = parts.clock ?? systemClock;
  const store = configMaxAgeMs > 0 ? withCachedConfigs(parts.store, { maxAgeMs: configMaxAgeMs, now: () => clock.now() }) : parts.store;
  return {
    registry: metrics === undefined ? parts.registry : meteredRegistry(parts.registry, metrics),
    store: metrics === undefined ? store : meteredStore(store, metrics),
    logger,
    events: parts.events ?? new LogOnlyVersionEvents(logger),
    clock,
    newId: parts.newId ?? randomUUID,
    recentPuts: new RecentPuts(),
    ...(metrics === undefined ? {} : { metrics }),
    ...(parts.tagSettle === undefined ? {} : { tagSettle: parts.tagSettle }),
  };
}

/**
 * How long the push handler reuses a repository config it read (docs/configuration.md): a config
 * changed through the API reaches the on-image-push function at most this much later. The API and
 * reconcile functions always read it. Locally the API and the handlers share one store, which
 * forgets a config as soon as it is written.
 */
export const CONFIG_MAX_AGE_MS = 5_000;

/**
 * distribution sends its push notification before it writes the tag: the local handlers wait up to
 * this long for a pushed tag to reach the pushed digest (looking every `pollMs`).
 */
export const LOCAL_TAG_SETTLE = { waitMs: 1_000, pollMs: 10 } as const;

export const RegistryKinds = { ecr: 'ecr', ociHttp: 'oci-http' } as const;

/**
 * Per registry call: shorter than a publish lease (PublishTiming.leaseMs, 30 s), because the lease is
 * renewed before each put; a put that could outlast the lease could land after a successor's.
 */
export const REGISTRY_CALL_TIMEOUT_MS = 20_000;

/**
 * Dependencies from the Lambda environment: TABLE_NAME (required), REGISTRY_KIND (`ecr`, the
 * default, or `oci-http` with REGISTRY_URL), AWS_REGION, optionally DYNAMODB_ENDPOINT; outcome
 * events go to EventBridge bus EVENT_BUS_NAME (`default` when unset), naming REGISTRY_HOST as their
 * registry. Asynchronous because the OCI-HTTP adapter is loaded only when asked for: on AWS it is
 * dead weight in every bundle and every cold start.
 */
export async function dependenciesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: { configMaxAgeMs?: number } = {},
): Promise<Dependencies> {
  const tableName = required(env, 'TABLE_NAME');
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? 'manifest-assembler';
  const logger = new LambdaJsonLogger({ serviceName, env });
  const region = env.AWS_REGION;
  const kind = env.REGISTRY_KIND ?? RegistryKinds.ecr;
  let registry: ImageRegistry;
  if (kind === RegistryKinds.ecr) {
    registry = new EcrImageRegistry({
      client: createEcrClient(region),
      timeoutMs: REGISTRY_CALL_TIMEOUT_MS,
      ...(env.ECR_REGISTRY_ID ? { registryId: env.ECR_REGISTRY_ID } : {}),
    });
  } else if (kind === RegistryKinds.ociHttp) {
    registry = await ociHttpRegistry(required(env, 'REGISTRY_URL'));
  } else {
    throw new Error(`REGISTRY_KIND must be ${RegistryKinds.ecr} or ${RegistryKinds.ociHttp}, not ${kind}`);
  }
  const client = new DynamoDBClient({
    ...(region === undefined ? {} : { region }),
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
  });
  const events = eventBridgeEvents(region, env.EVENT_BUS_NAME || 'default', registryHost(env, kind, region));
  const metrics = new CloudWatchEmfMetrics({ serviceName });
  return createDependencies({
    registry,
    store: new DynamoDbVersionStore({ client, tableName }),
    logger,
    events,
    metrics,
    configMaxAgeMs: options.configMaxAgeMs ?? 0,
  });
}

/**
 * The EventBridge adapter, imported at the first announcement: most invocations announce nothing,
 * so the EventBridge client stays off the cold path.
 */
function eventBridgeEvents(region: string | undefined, eventBusName: string, registry: string): VersionEvents {
  let loaded: Promise<VersionEvents> | undefined;
  const load = async (): Promise<VersionEvents> => {
    const { EventBridgeVersionEvents, createEventBridgeClient } = await import('./adapters/events/eventbridge-version-events.ts');
    return new EventBridgeVersionEvents({ client: createEventBridgeClient(region), eventBusName, registry });
  };
  return {
    announce: async (event) => {
      loaded ??= load().catch((error: unknown) => {
        loaded = undefined; // the next announcement tries the import again
        throw error;
      });
      await (await loaded).announce(event);
    },
  };
}

/** The host images of this registry are named by (`<host>/<repository>:<tag>`), for events. */
function registryHost(env: NodeJS.ProcessEnv, kind: string, region: string | undefined): string {
  if (env.REGISTRY_HOST) return env.REGISTRY_HOST;
  if (kind === RegistryKinds.ociHttp) return new URL(required(env, 'REGISTRY_URL')).host;
  // The deployment sets REGISTRY_HOST; without it the account is only known from ECR_REGISTRY_ID.
  return `${env.ECR_REGISTRY_ID || '<account>'}.dkr.ecr.${region ?? '<region>'}.amazonaws.com`;
}

/** The OCI-HTTP adapter, imported on demand so that the Lambda bundles (ECR only) leave it out. */
async function ociHttpRegistry(baseUrl: string): Promise<ImageRegistry> {
  const { OciHttpImageRegistry } = await import('./adapters/oci-http/oci-http-image-registry.ts');
  return new OciHttpImageRegistry({ baseUrl, timeoutMs: REGISTRY_CALL_TIMEOUT_MS });
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
  return value;
}

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
 * DynamoDB store on dynalite. `close` releases the DynamoDB client's connections.
 */
export async function localDependencies(parts: {
  registryUrl: string;
  dynamoEndpoint: string;
  logger: Logger;
  metrics?: Metrics;
  /** Where outcome events are POSTed and the key they are signed with. */
  notify?: { urls: readonly string[]; secret: string };
}): Promise<{
  deps: Dependencies;
  client: DynamoDBClient;
  /** Delivers the queued outcome events; start it once the table exists. */
  delivery: NotifyDelivery;
  close: () => void;
}> {
  const client = localDynamoClient(parts.dynamoEndpoint);
  // Local-only adapters, loaded here so that the Lambda bundles leave them out.
  const [{ DynamoDbOutbox }, { NotifyDelivery }, { OutboxVersionEvents }] = await Promise.all([
    import('./adapters/webhook/dynamodb-outbox.ts'),
    import('./adapters/webhook/notify-delivery.ts'),
    import('./adapters/webhook/outbox-version-events.ts'),
  ]);
  const outbox = new DynamoDbOutbox({ client, tableName: LOCAL_TABLE_NAME });
  const delivery = new NotifyDelivery({ outbox, urls: parts.notify?.urls ?? [], secret: parts.notify?.secret ?? '', logger: parts.logger });
  const deps = createDependencies({
    registry: await ociHttpRegistry(parts.registryUrl),
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
  return { deps, client, delivery, close: () => client.destroy() };
}
