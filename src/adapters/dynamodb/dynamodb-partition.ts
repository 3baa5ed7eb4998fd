import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';

/** One DynamoDB item as the SDK's low-level client reads and writes it. */
export type DynamoDbItem = Record<string, AttributeValue>;

/**
 * Every item of one partition, page after page (a Query stops at 1 MB), read consistently. For the
 * local runner's queues (the notify outbox, the registry inbox), whose partitions stay small.
 */
export async function queryPartition(client: DynamoDBClient, tableName: string, pk: string): Promise<DynamoDbItem[]> {
  const items: DynamoDbItem[] = [];
  let startKey: DynamoDbItem | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': { S: pk } },
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

/** A failed `ConditionExpression`. By name too: a second copy of the SDK in a bundle would make `instanceof` miss it. */
export function isConditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException || (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException'
  );
}
