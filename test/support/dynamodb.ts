import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../src/adapters/dynamodb/dynamodb-table.ts';

/** A client for the dynalite that dynalite.global.ts started (dummy credentials: dynalite checks none). */
export function makeDynamoClient(endpoint: string = inject('dynamoEndpoint')): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** Creates a table no other test file uses (same definition as production) and returns its name. */
export async function createUniqueTable(client: DynamoDBClient, prefix = 'manifest-assembler-test'): Promise<string> {
  const tableName = `${prefix}-${randomUUID()}`;
  await ensureTable(client, tableName);
  return tableName;
}
