import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchEmfMetrics } from './adapters/cloudwatch-emf-metrics.ts';
import { DynamoDbVersionStore } from './adapters/dynamodb-version-store.ts';
import { createEcrClient, EcrImageRegistry } from './adapters/ecr-image-registry.ts';
import { LogOnlyVersionEvents } from './adapters/events/log-only-version-events.ts';
import { meteredRegistry, meteredStore } from './adapters/metered-ports.ts';
import { PowertoolsLoggerAdapter } from './adapters/powertools-logger.ts';
import type { NotifyDelivery } from './adapters/webhook/notify-delivery.ts';
import type { Metrics } from './core/metrics.ts';
import type { Clock, Dependencies, ImageRegistry, Logger, VersionEvents, VersionStore } from './core/ports.ts';

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
}): Dependencies {
  const { metrics } = parts;
  const logger = parts.logger ?? new PowertoolsLoggerAdapter();
  return {
    registry: metrics === undefined ? parts.registry : meteredRegistry(parts.registry, metrics),
    store: metrics === undefined ? parts.store : meteredStore(parts.store, metrics),
    logger,
    events: parts.events ?? new LogOnlyVersionEvents(logger),
    clock: parts.clock ?? systemClock,
    newId: parts.newId ?? randomUUID,
    ...(metrics === undefined ? {} : { metrics }),
  };
}

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
export async function dependenciesFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Dependencies> {
  const tableName = required(env, 'TABLE_NAME');
  const logger = new PowertoolsLoggerAdapter(env.POWERTOOLS_SERVICE_NAME ?? 'manifest-assembler', env.LOG_LEVEL);
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
  const metrics = new CloudWatchEmfMetrics({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'manifest-assembler' });
  return createDependencies({ registry, store: new DynamoDbVersionStore({ client, tableName }), logger, events, metrics });
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
  const { OciHttpImageRegistry } = await import('./adapters/oci-http-image-registry.ts');
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
  const client = new DynamoDBClient({
    endpoint: parts.dynamoEndpoint,
    region: 'us-east-1',
    // dynalite accepts any credentials; fixed ones keep the SDK from searching ~/.aws or IMDS.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
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
      outbox, urls: parts.notify?.urls ?? [], registryUrl: parts.registryUrl, logger: parts.logger, onQueued: () => delivery.wake(),
    }),
    ...(parts.metrics === undefined ? {} : { metrics: parts.metrics }),
  });
  return { deps, client, delivery, close: () => client.destroy() };
}
