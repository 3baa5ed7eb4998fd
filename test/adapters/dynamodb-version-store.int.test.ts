import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { toConfigItem } from '../../src/adapters/dynamodb-version-items.ts';
import { DynamoDbVersionStore } from '../../src/adapters/dynamodb-version-store.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { describeVersionStoreContract } from './version-store.contract.ts';

// One client for the file; a fresh table for every test, so that listing configs sees only its own.
const client = makeDynamoClient();
afterAll(() => client.destroy());

describeVersionStoreContract('DynamoDbVersionStore on dynalite', async () => {
  const tableName = await createUniqueTable(client);
  return new DynamoDbVersionStore({ client, tableName });
});

describe('DynamoDbVersionStore on dynalite, items written by older versions', () => {
  it('reads a config stored before annotations existed as having none', async () => {
    const tableName = await createUniqueTable(client);
    const { annotations: _annotations, ...older } = normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64'] });
    await client.send(new PutItemCommand({ TableName: tableName, Item: toConfigItem('hello', older as never) }));
    const store = new DynamoDbVersionStore({ client, tableName });
    expect((await store.getRepositoryConfig('hello'))?.annotations).toStrictEqual({});
    expect((await store.listRepositoryConfigs())[0]?.config.annotations).toStrictEqual({});
  });
});
