import { type AttributeValue, type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { isConditionFailed } from './dynamodb-condition.ts';

export { isConditionFailed };

/** One DynamoDB item as the SDK's low-level client reads and writes it. */
export type DynamoDbItem = Record<string, AttributeValue>;

/**
 * Every item of one partition (or of its sort keys starting with `skPrefix`), page after page (a
 * Query stops at 1 MB), read consistently. For partitions that stay small: the local runner's queues
 * (the notify outbox, the registry inbox), the store's configs and a repository's floating tags.
 */
export async function queryPartition(client: DynamoDBClient, tableName: string, pk: string, skPrefix?: string): Promise<DynamoDbItem[]> {
  const items: DynamoDbItem[] = [];
  let startKey: DynamoDbItem | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: skPrefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :skPrefix)',
        ExpressionAttributeNames: skPrefix === undefined ? { '#pk': 'pk' } : { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: skPrefix === undefined ? { ':pk': { S: pk } } : { ':pk': { S: pk }, ':skPrefix': { S: skPrefix } },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/**
 * Writes `item` unless an item with its key exists: true when written, false when it was there
 * already (one request either way). Other errors pass through.
 */
export async function putIfAbsent(client: DynamoDBClient, tableName: string, item: DynamoDbItem): Promise<boolean> {
  try {
    await client.send(new PutItemCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
