import { DeleteItemCommand, type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { isConditionFailed, putIfAbsent, queryPartition } from '../dynamodb/dynamodb-partition.ts';

/** One delivery of one event to one URL, waiting to be made. */
export interface OutboxItem {
  readonly eventId: string;
  readonly url: string;
  /** The exact body to POST. */
  readonly body: string;
  readonly attempts: number;
  /** Epoch milliseconds before which it is not tried again. */
  readonly nextAt: number;
  readonly queuedAt: number;
}

const PARTITION = 'NOTIFY-OUTBOX';

/**
 * The local runner's durable outbox: one item per (event, URL) in the stack's DynamoDB table on
 * dynalite, whose data survives a restart. Queuing the same event for the same URL twice keeps one
 * item (a conditional put), and an item leaves only once its delivery is acknowledged.
 */
export class DynamoDbOutbox {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  /** Queues `body` for each URL; a URL that has this event queued already keeps its one item. */
  async enqueue(eventId: string, body: string, urls: readonly string[], nowMs: number): Promise<void> {
    for (const url of urls) {
      await putIfAbsent(this.#client, this.#tableName, {
        pk: { S: PARTITION },
        sk: { S: sortKey(eventId, url) },
        eventId: { S: eventId },
        url: { S: url },
        body: { S: body },
        attempts: { N: '0' },
        nextAt: { N: String(nowMs) },
        queuedAt: { N: String(nowMs) },
      });
    }
  }

  /** Every queued delivery, oldest first. */
  async list(): Promise<OutboxItem[]> {
    const items = (await queryPartition(this.#client, this.#tableName, PARTITION)).map((item) => ({
      eventId: item.eventId?.S ?? '',
      url: item.url?.S ?? '',
      body: item.body?.S ?? '',
      attempts: Number(item.attempts?.N ?? 0),
      nextAt: Number(item.nextAt?.N ?? 0),
      queuedAt: Number(item.queuedAt?.N ?? 0),
    }));
    return items.sort((a, b) => a.queuedAt - b.queuedAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  }

  /** Removes a delivery that was acknowledged. */
  async remove(item: Pick<OutboxItem, 'eventId' | 'url'>): Promise<void> {
    await this.#client.send(
      new DeleteItemCommand({ TableName: this.#tableName, Key: { pk: { S: PARTITION }, sk: { S: sortKey(item.eventId, item.url) } } }),
    );
  }

  /** Records a failed attempt and when to try again. */
  async postpone(item: Pick<OutboxItem, 'eventId' | 'url'>, attempts: number, nextAt: number): Promise<void> {
    await this.#client
      .send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { pk: { S: PARTITION }, sk: { S: sortKey(item.eventId, item.url) } },
          UpdateExpression: 'SET #attempts = :attempts, #nextAt = :nextAt',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#attempts': 'attempts', '#nextAt': 'nextAt' },
          ExpressionAttributeValues: { ':attempts': { N: String(attempts) }, ':nextAt': { N: String(nextAt) } },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailed(error)) throw error;
      });
  }
}

function sortKey(eventId: string, url: string): string {
  return `${eventId}#${url}`;
}
