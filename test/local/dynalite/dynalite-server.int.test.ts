import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../../src/adapters/dynamodb/dynamodb-table.ts';
import { dynaliteAbstractLevels } from '../../../src/local/dynalite/dynalite-iterator-close.ts';
import { type RunningDynalite, startDynalite } from '../../../src/local/dynalite/dynalite-server.ts';

type ResourceHooks = { attachResource(resource: object): void; detachResource(resource: object): void };

/** Records which resources (iterators, snapshots) dynalite's LevelDB has open, through abstract-level's own hooks. */
function watchOpenResources(): { open: Set<object>; restore: () => void } {
  const open = new Set<object>();
  const restores = dynaliteAbstractLevels().map(({ AbstractLevel }) => {
    const prototype = AbstractLevel.prototype as ResourceHooks;
    const { attachResource, detachResource } = prototype;
    prototype.attachResource = function (resource) {
      open.add(resource);
      attachResource.call(this, resource);
    };
    prototype.detachResource = function (resource) {
      open.delete(resource);
      detachResource.call(this, resource);
    };
    return () => Object.assign(prototype, { attachResource, detachResource });
  });
  return {
    open,
    restore: () => {
      for (const restore of restores) restore();
    },
  };
}

describe('startDynalite', () => {
  let dataDir: string;
  let dynalite: RunningDynalite;
  let client: DynamoDBClient;
  let watch: ReturnType<typeof watchOpenResources>;
  const TableName = 'iterators';

  beforeAll(async () => {
    watch = watchOpenResources();
    dataDir = await mkdtemp(join(tmpdir(), 'dynalite-server-'));
    dynalite = await startDynalite(dataDir);
    client = new DynamoDBClient({
      endpoint: dynalite.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ensureTable(client, TableName);
    for (const sk of ['a', 'b', 'c']) {
      await client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'repo#team/app' }, sk: { S: sk } } }));
    }
  });

  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
    watch?.restore();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('when queries and scans read to the end or stop at a limit', () => {
    it('closes every LevelDB iterator they opened (each one left open held memory until shutdown)', async () => {
      const reads = [
        new QueryCommand({ TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'repo#team/app' } } }),
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'repo#team/app' } },
          Limit: 1,
        }),
        new ScanCommand({ TableName }),
        new ScanCommand({ TableName, Limit: 2 }),
      ];
      for (let round = 0; round < 50; round += 1) {
        for (const read of reads) expect((await client.send(read)).Items?.length).toBeGreaterThan(0);
      }
      // Closing is asynchronous (a stream's destroy); give it its turn.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const iterators = [...watch.open].filter((resource) => /Iterator/.test(resource.constructor.name));
      expect(iterators).toHaveLength(0);
    });
  });
});
