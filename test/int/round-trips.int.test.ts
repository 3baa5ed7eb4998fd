import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CountingProxy, type RequestCounts, startCountingProxy } from '../../bench/counting-proxy.ts';
import { DynamoDbRequestCounter, parseDynamoDbRequests } from '../../src/adapters/dynamodb/dynamodb-request-counter.ts';
import { DynamoDbVersionStore } from '../../src/adapters/dynamodb/dynamodb-version-store.ts';
import { createEcrClient, EcrImageRegistry } from '../../src/adapters/ecr/ecr-image-registry.ts';
import { EventBridgeVersionEvents } from '../../src/adapters/events/eventbridge-version-events.ts';
import { parseReadsAhead } from '../../src/adapters/prefetching-image-registry.ts';
import { CONFIG_MAX_AGE_MS, createDependencies } from '../../src/composition.ts';
import type { VersionEvents } from '../../src/core/ports.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import type { EcrImageActionEvent } from '../../src/local/registry/registry-events.ts';
import { LOCAL_TABLE_NAME, wireLocalHandlers } from '../../src/local/wire-handlers.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { type EcrDouble, startEcrDouble } from '../support/ecr-double/ecr-double.ts';
import { ecrPushEvent } from '../support/ecr-event.ts';
import { EventReceiver } from '../support/event-receiver.ts';
import { eventually } from '../support/eventually.ts';
import { CapturingLogger } from '../support/fakes.ts';
import { type HttpStub, startHttpStub } from '../support/http-stub.ts';
import { pushImage } from '../support/images.ts';

// The round trips one 2-platform version costs (docs/performance.md): the per-arch pushes of
// 2.7-amd64 and 2.7-arm64, then the push event of the index put under 2.7 (the echo, which the
// registry sends for our own put), each through the real on-image-push handler. Registry requests
// are counted by a proxy in front of the real registry, DynamoDB requests by a middleware on the
// real SDK client talking to dynalite, ECR API calls by the ECR double.

/** The floor (issue 8): 2K manifest and config GETs + 1 PUT + one tag check per per-arch event. */
const REGISTRY_FLOOR = 7;
/**
 * The floor (issue 8): the config read (GetItem, reused by the second event), one BatchGetItem per
 * per-arch event (readForPush), the record's create (PutItem), the write that completes it and takes
 * the lease (UpdateItem), and the write that records the publish and gives the lease up (UpdateItem).
 * The version's history goes in those writes, on the record: no request of its own.
 */
const DYNAMODB_CEILING = 6;
/**
 * With an event destination (EventBridge on AWS, NOTIFY_URL locally): the same, but the write that
 * records the publish claims its announcement too and keeps the lease, and one more write, after the
 * event went out, marks it sent and gives the lease up (it was 9: the claim, the settlement and the
 * release were three writes of their own).
 */
const DYNAMODB_CEILING_WITH_EVENTS = 7;
/** Locally, the event destination is the runner's outbox in the same table: the event queued, then removed once delivered. */
const OUTBOX_REQUESTS = 2;

const registryUrl = inject('registryUrl');
const dynamoEndpoint = inject('dynamoEndpoint');
const lambdaContext = { awsRequestId: 'round-trips', functionName: 'on-image-push' } as unknown as Context;

function total(counts: RequestCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/**
 * Pushes 2.7-amd64 and 2.7-arm64 straight to the registry; returns the three events of the version.
 * `localDetail`: the events as the local runner builds them from distribution's notification (media
 * type and the config it names).
 */
async function pushVersion(repository: string, mediaTypeOfEvent: boolean, localDetail = false) {
  const amd64 = await pushImage(registryUrl, repository, '2.7-amd64', { arch: 'amd64', format: 'oci' });
  const arm64 = await pushImage(registryUrl, repository, '2.7-arm64', { arch: 'arm64', format: 'oci' });
  const event = (digest: string, tag: string, mediaType: string, config?: { mediaType: string; digest: string; size: number }) =>
    ecrPushEvent(repository, digest, tag, {
      id: randomUUID(),
      ...(mediaTypeOfEvent || localDetail ? { mediaType } : {}),
      ...(localDetail && config !== undefined
        ? { detail: { 'manifest-config': { mediaType: config.mediaType, digest: config.digest, size: config.size } } }
        : {}),
    }) as unknown as EcrImageActionEvent;
  return {
    amd64: event(amd64.digest, '2.7-amd64', amd64.mediaType, amd64.config),
    arm64: event(arm64.digest, '2.7-arm64', arm64.mediaType, arm64.config),
    echo: event,
  };
}

async function publishedDigest(repository: string): Promise<string | undefined> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/2.7`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' },
  });
  return response.ok ? (response.headers.get('docker-content-digest') ?? undefined) : undefined;
}

describe('round trips of one 2-platform version', () => {
  describe("locally: the local runner's handlers, OCI-HTTP registry adapter, dynalite", () => {
    let proxy: CountingProxy;
    beforeAll(async () => {
      proxy = await startCountingProxy(registryUrl);
    });
    afterAll(async () => {
      await proxy.close();
    });

    /**
     * One version through the local runner's handlers (NOTIFY_URL: `notifyUrls`); the requests it
     * cost, once `settled` says everything it started (a delivery) is done.
     */
    async function countLocalVersion(
      notifyUrls: string[],
      settled: (dynamoDb: RequestCounts) => boolean = () => true,
      options: { readArm64Ahead?: boolean } = {},
    ) {
      const dataDir = await mkdtemp(join(tmpdir(), 'round-trips-'));
      const handlers = await wireLocalHandlers({
        registryUrl: proxy.url,
        dynamoEndpoint,
        dataDir,
        logger: new CapturingLogger(),
        notify: { urls: notifyUrls, secret: 'round-trips' },
      });
      // The runner's own count of its handlers' DynamoDB commands, as /metrics shows it.
      const handlerCommands = () => parseDynamoDbRequests(handlers.metricsText?.() ?? '');
      let counted: RequestCounts = {};
      const dynamo = {
        reset: () => {
          counted = handlerCommands();
        },
        counts: (): RequestCounts =>
          Object.fromEntries(Object.entries(handlerCommands()).map(([operation, n]) => [operation, n - (counted[operation] ?? 0)])),
      };
      try {
        const repository = `round-trips/local-${randomUUID().slice(0, 8)}`;
        // The config goes in the way the API writes it; the count starts with the version's first event.
        await new DynamoDbVersionStore({ client: makeDynamoClient(), tableName: LOCAL_TABLE_NAME }).putRepositoryConfig(
          repository,
          normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }),
        );
        const events = await pushVersion(repository, false, options.readArm64Ahead === true);
        proxy.reset();
        dynamo.reset();

        // As the inbox does when 2.7-arm64 arrives while 2.7-amd64 is being handled (its version's lane is busy).
        if (options.readArm64Ahead === true) handlers.inbox?.readAhead?.(events.arm64);
        expect(await handlers.onImagePush(events.amd64)).toMatchObject({ kind: 'recorded', publish: { kind: 'waiting' } });
        expect(await handlers.onImagePush(events.arm64)).toMatchObject({ kind: 'recorded', publish: { kind: 'published' } });
        const digest = await publishedDigest(repository);
        expect(digest).toBeDefined();
        const beforeEcho = { registry: proxy.counts(), dynamo: dynamo.counts() };
        expect(await handlers.onImagePush(events.echo(digest!, '2.7', 'application/vnd.oci.image.index.v1+json'))).toMatchObject({
          kind: 'ignored',
        });
        const dynamoDb = await eventually(() => {
          const counts = dynamo.counts();
          return settled(counts) ? counts : undefined;
        }, 'the version to settle');
        const registry = proxy.counts();
        const echo = { registry: total(registry) - total(beforeEcho.registry), dynamoDb: total(dynamoDb) - total(beforeEcho.dynamo) };
        return { registry, dynamoDb, echo, digest, readsAhead: parseReadsAhead(handlers.metricsText?.() ?? '') };
      } finally {
        await handlers.close?.();
        await rm(dataDir, { recursive: true, force: true });
      }
    }

    it(`costs at most ${REGISTRY_FLOOR} registry requests and ${DYNAMODB_CEILING} DynamoDB requests, the echo of the index put included`, async () => {
      const { registry, dynamoDb, echo } = await countLocalVersion([]);
      console.log('round trips, local stack, one 2-platform version:', JSON.stringify({ registry, dynamoDb, echo }));
      expect(total(registry), JSON.stringify(registry)).toBeLessThanOrEqual(REGISTRY_FLOOR);
      expect(total(dynamoDb), JSON.stringify(dynamoDb)).toBeLessThanOrEqual(DYNAMODB_CEILING);
    });

    it(`with the arm64 push read ahead while the amd64 push is handled, costs the same ${REGISTRY_FLOOR} registry requests`, async () => {
      const { registry, dynamoDb, readsAhead } = await countLocalVersion([], () => true, { readArm64Ahead: true });
      console.log('round trips, local stack, arm64 read ahead:', JSON.stringify({ registry, dynamoDb, readsAhead }));
      expect(readsAhead, 'its manifest and config were read ahead and both handed to its handler').toEqual({
        started: 2,
        used: 2,
        skipped: 0,
        expired: 0,
      });
      expect(total(registry), JSON.stringify(registry)).toBeLessThanOrEqual(REGISTRY_FLOOR);
      expect(registry['GET manifest by digest'], 'each pushed manifest read once').toBe(2);
      expect(registry['GET blob'], 'each config read once').toBe(2);
      expect(total(dynamoDb), JSON.stringify(dynamoDb)).toBeLessThanOrEqual(DYNAMODB_CEILING);
    });

    it(`with NOTIFY_URL, costs at most ${DYNAMODB_CEILING_WITH_EVENTS} DynamoDB requests for the version and ${OUTBOX_REQUESTS} for its event's delivery`, async () => {
      const receiver = await new EventReceiver().start();
      try {
        // Settled once the event was delivered and left the outbox (its DeleteItem).
        const { registry, dynamoDb, echo, digest } = await countLocalVersion([receiver.url], (counts) => (counts.DeleteItem ?? 0) > 0);
        console.log('round trips, local stack with NOTIFY_URL, one 2-platform version:', JSON.stringify({ registry, dynamoDb, echo }));
        expect(receiver.accepted().map((r) => JSON.parse(r.body).data)).toMatchObject([{ state: 'published', digest, revision: 2 }]);
        // The delivery worker's own: the event queued (PutItem) and removed once delivered (DeleteItem);
        // each of its passes lists the outbox (Query), when woken and once a second: not per version.
        const { Query: _listed = 0, ...perVersion } = dynamoDb;
        expect(total(registry), JSON.stringify(registry)).toBeLessThanOrEqual(REGISTRY_FLOOR);
        expect(total(perVersion), JSON.stringify(dynamoDb)).toBeLessThanOrEqual(DYNAMODB_CEILING_WITH_EVENTS + OUTBOX_REQUESTS);
      } finally {
        await receiver.stop();
      }
    });
  });

  describe('on AWS: the ECR adapter through the real SDK to the ECR double, DynamoDB on dynalite', () => {
    let ecr: EcrDouble;
    let eventBridge: HttpStub;
    let putEvents: string[];
    beforeAll(async () => {
      ecr = await startEcrDouble({ registryUrl });
      putEvents = [];
      // EventBridge's PutEvents, answered as AWS does for an entry it took (AWS JSON 1.1).
      eventBridge = await startHttpStub(async (request, response) => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        putEvents.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: randomUUID() }] }));
      });
    });
    afterAll(async () => {
      await ecr.close();
      await eventBridge.close();
    });

    /** One version through the real on-image-push handler; the requests it cost, by backend. */
    async function countVersion(events?: VersionEvents) {
      const client = makeDynamoClient();
      const tableName = await createUniqueTable(client);
      const dynamo = new DynamoDbRequestCounter().attach(client);
      const store = new DynamoDbVersionStore({ client, tableName });
      const deps = createDependencies({
        registry: new EcrImageRegistry({ client: createEcrClient('us-east-1', ecr.clientConfig()) }),
        store,
        logger: new CapturingLogger(),
        configMaxAgeMs: CONFIG_MAX_AGE_MS,
        ...(events === undefined ? {} : { events }),
      });
      const handler = createOnImagePushHandler(deps, { timeoutEarlyInMillis: 0 });
      const repository = `round-trips/ecr-${randomUUID().slice(0, 8)}`;
      ecr.createRepository(repository, { tagMutability: 'MUTABLE' });
      await store.putRepositoryConfig(repository, normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }));
      const pushed = await pushVersion(repository, true);
      const callsBefore = ecr.calls.length;
      const downloadsBefore = ecr.blobDownloads.length;
      dynamo.reset();

      expect(await handler(pushed.amd64, lambdaContext)).toMatchObject({ kind: 'recorded', publish: { kind: 'waiting' } });
      expect(await handler(pushed.arm64, lambdaContext)).toMatchObject({ kind: 'recorded', publish: { kind: 'published' } });
      const digest = await publishedDigest(repository);
      expect(await handler(pushed.echo(digest!, '2.7', 'application/vnd.oci.image.index.v1+json'), lambdaContext)).toMatchObject({
        kind: 'ignored',
      });

      const ecrCalls: RequestCounts = {};
      for (const call of ecr.calls.slice(callsBefore)) ecrCalls[call.operation] = (ecrCalls[call.operation] ?? 0) + 1;
      // Not ECR API calls: each config blob comes through the pre-signed URL GetDownloadUrlForLayer gives.
      const downloads = ecr.blobDownloads.length - downloadsBefore;
      const dynamoDb = dynamo.counts();
      const record = await store.getVersion({ repository, version: '2.7' });
      return { ecrCalls, downloads, dynamoDb, digest, record };
    }

    it(`costs at most ${REGISTRY_FLOOR} ECR API calls (and a config download per platform) and ${DYNAMODB_CEILING} DynamoDB requests`, async () => {
      const { ecrCalls, downloads, dynamoDb } = await countVersion();
      console.log('round trips, ECR path, one 2-platform version:', JSON.stringify({ ecr: ecrCalls, blobDownloads: downloads, dynamoDb }));
      expect(total(ecrCalls), JSON.stringify(ecrCalls)).toBeLessThanOrEqual(REGISTRY_FLOOR);
      expect(downloads, 'one config blob download per platform').toBe(2);
      expect(total(dynamoDb), JSON.stringify(dynamoDb)).toBeLessThanOrEqual(DYNAMODB_CEILING);
    });

    it(`with an EventBridge destination, costs at most ${DYNAMODB_CEILING_WITH_EVENTS} DynamoDB requests, the published event put once`, async () => {
      const sent = putEvents.length;
      const { ecrCalls, downloads, dynamoDb, digest, record } = await countVersion(
        new EventBridgeVersionEvents({
          client: new EventBridgeClient({
            endpoint: eventBridge.url,
            region: 'us-east-1',
            credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
          }),
          eventBusName: 'releases',
          registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
        }),
      );
      console.log(
        'round trips, ECR path with EventBridge, one 2-platform version:',
        JSON.stringify({ ecr: ecrCalls, blobDownloads: downloads, dynamoDb, putEvents: putEvents.length - sent }),
      );
      // Announced once, and marked so: nothing is left for the reconciler to send again, and no lease stays.
      const detail = putEvents.slice(sent).map((body) => JSON.parse(JSON.parse(body).Entries[0].Detail));
      expect(detail).toMatchObject([{ state: 'published', digest, revision: 2 }]);
      expect(record?.announcement).toMatchObject({ state: 'sent' });
      expect(record?.lease).toBeUndefined();
      expect(total(ecrCalls), JSON.stringify(ecrCalls)).toBeLessThanOrEqual(REGISTRY_FLOOR);
      expect(total(dynamoDb), JSON.stringify(dynamoDb)).toBeLessThanOrEqual(DYNAMODB_CEILING_WITH_EVENTS);
    });
  });
});
