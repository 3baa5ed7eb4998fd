import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { putIfAbsent, queryPartition } from '../dynamodb/dynamodb-partition.ts';
import { compareArrival, type InboxEntry } from './inbox-entry.ts';

const PARTITION = 'REGISTRY-INBOX';
/** Requests in one BatchWriteItem, at most (DynamoDB's limit). */
const BATCH_WRITE_LIMIT = 25;

/**
 * The local runner's durable inbox: one item per registry notification event in the stack's DynamoDB
 * table on dynalite, whose data survives the runner being killed. Recording is one conditional put
 * (an event recorded twice keeps its one item); an item leaves only once its event was handled.
 */
export class DynamoDbInbox {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  /** Records `entry`: true when it is new, false when an event with its id is recorded already. */
  add(entry: InboxEntry): Promise<boolean> {
    return putIfAbsent(this.#client, this.#tableName, {
      pk: { S: PARTITION },
      sk: { S: entry.id },
      body: { S: entry.body },
      receivedAt: { N: String(entry.receivedAt) },
      seq: { N: String(entry.seq) },
    });
  }

  /** Every recorded event, in the order it arrived. */
  async list(): Promise<InboxEntry[]> {
    const entries = (await queryPartition(this.#client, this.#tableName, PARTITION)).map((item) => ({
      id: item.sk?.S ?? '',
      body: item.body?.S ?? '',
      receivedAt: Number(item.receivedAt?.N ?? 0),
      seq: Number(item.seq?.N ?? 0),
    }));
    return entries.sort(compareArrival);
  }

  /** Forgets events that were handled (or refused for good): one request per 25 of them. */
  async remove(ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += BATCH_WRITE_LIMIT) {
      let requests: WriteRequest[] = ids
        .slice(start, start + BATCH_WRITE_LIMIT)
        .map((id) => ({ DeleteRequest: { Key: { pk: { S: PARTITION }, sk: { S: id } } } }));
      // DynamoDB may leave some undone under load (dynalite never does): they are sent again.
      while (requests.length > 0) {
        const answer = await this.#client.send(new BatchWriteItemCommand({ RequestItems: { [this.#tableName]: requests } }));
        requests = answer.UnprocessedItems?.[this.#tableName] ?? [];
      }
    }
  }
}
