import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchEmfMetrics } from './adapters/cloudwatch-emf-metrics.ts';
import { DynamoDbVersionStore } from './adapters/dynamodb-version-store.ts';
import { createEcrClient, EcrImageRegistry } from './adapters/ecr-image-registry.ts';
import { meteredRegistry, meteredStore } from './adapters/metered-ports.ts';
import { PowertoolsLoggerAdapter } from './adapters/powertools-logger.ts';
import type { Metrics } from './core/metrics.ts';
import type { Clock, Dependencies, ImageRegistry, Logger, VersionStore } from './core/ports.ts';

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
  /** With metrics, registry and store calls that throw are counted too. */
  metrics?: Metrics;
}): Dependencies {
  const { metrics } = parts;
  return {
    registry: metrics === undefined ? parts.registry : meteredRegistry(parts.registry, metrics),
    store: metrics === undefined ? parts.store : meteredStore(parts.store, metrics),
    logger: parts.logger ?? new PowertoolsLoggerAdapter(),
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
 * default, or `oci-http` with REGISTRY_URL), AWS_REGION, and optionally DYNAMODB_ENDPOINT.
 * Asynchronous because the OCI-HTTP adapter is loaded only when asked for: on AWS it is dead weight
 * in every bundle and every cold start.
 */
export async function dependenciesFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Dependencies> {
  const tableName = required(env, 'TABLE_NAME');
  const logger = new PowertoolsLoggerAdapter(env['POWERTOOLS_SERVICE_NAME'] ?? 'manifest-assembler', env['LOG_LEVEL']);
  const region = env['AWS_REGION'];
  const kind = env['REGISTRY_KIND'] ?? RegistryKinds.ecr;
  let registry: ImageRegistry;
  if (kind === RegistryKinds.ecr) {
    registry = new EcrImageRegistry({
      client: createEcrClient(region),
      timeoutMs: REGISTRY_CALL_TIMEOUT_MS,
      ...(env['ECR_REGISTRY_ID'] ? { registryId: env['ECR_REGISTRY_ID'] } : {}),
    });
  } else if (kind === RegistryKinds.ociHttp) {
    registry = await ociHttpRegistry(required(env, 'REGISTRY_URL'));
  } else {
    throw new Error(`REGISTRY_KIND must be ${RegistryKinds.ecr} or ${RegistryKinds.ociHttp}, not ${kind}`);
  }
  const client = new DynamoDBClient({
    ...(region === undefined ? {} : { region }),
    ...(env['DYNAMODB_ENDPOINT'] ? { endpoint: env['DYNAMODB_ENDPOINT'] } : {}),
  });
  const metrics = new CloudWatchEmfMetrics({ serviceName: env['POWERTOOLS_SERVICE_NAME'] ?? 'manifest-assembler' });
  return createDependencies({ registry, store: new DynamoDbVersionStore({ client, tableName }), logger, metrics });
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
export async function localDependencies(parts: { registryUrl: string; dynamoEndpoint: string; logger: Logger; metrics?: Metrics }): Promise<{
  deps: Dependencies;
  client: DynamoDBClient;
  close: () => void;
}> {
  const client = new DynamoDBClient({
    endpoint: parts.dynamoEndpoint,
    region: 'us-east-1',
    // dynalite accepts any credentials; fixed ones keep the SDK from searching ~/.aws or IMDS.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const deps = createDependencies({
    registry: await ociHttpRegistry(parts.registryUrl),
    store: new DynamoDbVersionStore({ client, tableName: LOCAL_TABLE_NAME }),
    logger: parts.logger,
    ...(parts.metrics === undefined ? {} : { metrics: parts.metrics }),
  });
  return { deps, client, close: () => client.destroy() };
}
