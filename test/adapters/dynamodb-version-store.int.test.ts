import { afterAll } from 'vitest';
import { DynamoDbVersionStore } from '../../src/adapters/dynamodb-version-store.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { describeVersionStoreContract } from './version-store.contract.ts';

// One client for the file; a fresh table for every test, so that listing configs sees only its own.
const client = makeDynamoClient();
afterAll(() => client.destroy());

describeVersionStoreContract('DynamoDbVersionStore on dynalite', async () => {
  const tableName = await createUniqueTable(client);
  return new DynamoDbVersionStore({ client, tableName });
});
