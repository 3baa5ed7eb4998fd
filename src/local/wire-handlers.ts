import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { DynamoDbRequestCounter, renderDynamoDbRequests } from '../adapters/dynamodb/dynamodb-request-counter.ts';
import { ensureTable } from '../adapters/dynamodb/dynamodb-table.ts';
import { DynamoDbInbox } from '../adapters/inbox/dynamodb-inbox.ts';
import { JournalInbox } from '../adapters/inbox/journal-inbox.ts';
import { PrometheusMetrics } from '../adapters/observability/prometheus-metrics.ts';
import { renderReadsAhead } from '../adapters/prefetching-image-registry.ts';
import { LOCAL_TABLE_NAME, localDependencies } from '../composition-local.ts';
import { isImageManifestMediaType } from '../core/media-types.ts';
import { createApiHandler } from '../handlers/api.ts';
import type { EcrImageActionEvent as HandlerEcrImageActionEvent } from '../handlers/ecr-image-action.ts';
import { createOnImagePushHandler } from '../handlers/on-image-push.ts';
import { createReconcileHandler } from '../handlers/reconcile.ts';
import { createVersionLanes } from './inbox/version-lanes.ts';
import type { StackEndpoints, StackHandlers } from './local-stack.ts';

export { LOCAL_TABLE_NAME };

/**
 * The local composition: the same three handlers as on AWS, with the OCI-HTTP registry adapter and a
 * DynamoDB client pointed at dynalite. Creates the table on first start and starts delivering outcome
 * events (NOTIFY_URL). Registry pushes go through the durable inbox, a journal file in the data
 * folder's `inbox/` ({@link JournalInbox}), one lane per version. distribution notifies before it writes the tag, so
 * the handler's look at the tag waits a moment for it (`tagSettle`, set by {@link localDependencies}).
 */
export async function wireLocalHandlers({ registryUrl, dynamoEndpoint, dataDir, logger, notify }: StackEndpoints): Promise<StackHandlers> {
  const metrics = new PrometheusMetrics();
  const { deps, client, delivery, close, registry } = localDependencies({ registryUrl, dynamoEndpoint, logger, notify, metrics });
  // The DynamoDB commands of the handlers (with the notify outbox) on /metrics; the inbox is a file.
  const handlerRequests = new DynamoDbRequestCounter('handlers').attach(client);
  await ensureTable(client, LOCAL_TABLE_NAME);
  const inbox = await JournalInbox.open(join(dataDir, 'inbox'), { logger });
  await adoptDynamoDbInbox(client, inbox, logger);
  // Delivers what a previous run left queued, then whatever the handlers announce.
  delivery.start();
  const onImagePush = createOnImagePushHandler(deps);
  const api = createApiHandler(deps);
  // No deadline is armed: the local context has no getRemainingTimeInMillis, so a pass gets the
  // handler's default budget and stops between pages when it runs out (the next pass resumes).
  const reconcile = createReconcileHandler(deps, { timeoutEarlyInMillis: 0 });
  return {
    // `satisfies`: the events the webhook builds (registry-events.ts) are checked at compile time
    // against what the handler's parser reads (ecr-image-action.ts); two types, one shape.
    onImagePush: (event) => onImagePush(event satisfies HandlerEcrImageActionEvent, lambdaContext('on-image-push')),
    inbox: {
      store: inbox,
      laneOf: createVersionLanes(deps.store),
      // The push event of our own index put: the handler would ignore it at its first step.
      isOwnPut: ({ detail }) => deps.recentPuts?.has(detail['repository-name'], detail['image-tag'], detail['image-digest']) === true,
      // What the handler reads first of an image manifest's push (an index is read only after the
      // record's read, record-push.ts): started while the push waits for its version's earlier push.
      readAhead: ({ detail }) => {
        if (isImageManifestMediaType(detail['manifest-media-type'])) {
          registry.prefetch(detail['repository-name'], detail['image-digest'], detail['manifest-config']);
        }
      },
    },
    api: (event) => api(event, lambdaContext('api')),
    reconcile: () => reconcile(scheduledEvent(), lambdaContext('reconcile')),
    metricsText: () => metrics.render() + renderDynamoDbRequests(handlerRequests) + renderReadsAhead(registry.stats),
    close: async () => {
      await delivery.stop();
      close();
      await inbox.close();
    },
  };
}

/**
 * Moves what a runner before the journal left in its inbox in dynalite (partition `REGISTRY-INBOX`
 * of the stack's table) into the journal, in order of arrival, then deletes it there: an upgrade
 * in the middle of a backlog loses nothing. Costs one Query when there is nothing to move.
 */
async function adoptDynamoDbInbox(client: DynamoDBClient, journal: JournalInbox, logger: StackEndpoints['logger']): Promise<void> {
  const old = new DynamoDbInbox({ client, tableName: LOCAL_TABLE_NAME });
  const entries = await old.list();
  if (entries.length === 0) return;
  for (const entry of entries) await journal.add(entry);
  await old.remove(entries.map((e) => e.id));
  logger.info(`registry inbox: moved ${entries.length} push(es) from the inbox in dynalite to the journal`);
}

/**
 * The event an EventBridge schedule rule sends; the handler reads none of it, but the log lines
 * of an invocation look the same as on AWS.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
function scheduledEvent() {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:000000000000:rule/manifest-assembler-local-reconcile'],
    detail: {},
  } as const;
}

/**
 * A Lambda context for one local invocation. It has no `getRemainingTimeInMillis`: middy would
 * otherwise arm a timeout timer per call, and there is no deadline here.
 */
function lambdaContext(functionName: string): Context {
  const context: Omit<Context, 'getRemainingTimeInMillis'> = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  return context as Context;
}
