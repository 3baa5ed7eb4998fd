import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureTable } from '../../src/adapters/dynamodb/dynamodb-table.ts';
import { DynamoDbInbox } from '../../src/adapters/inbox/dynamodb-inbox.ts';
import { type RunningDynalite, startDynalite } from '../../src/local/dynalite/dynalite-server.ts';
import { LOCAL_TABLE_NAME, wireLocalHandlers } from '../../src/local/wire-handlers.ts';
import { makeDynamoClient } from '../support/dynamodb.ts';
import { CapturingLogger } from '../support/fakes.ts';

describe('the local wiring, started on a data folder whose inbox an older runner kept in dynalite', () => {
  let dir: string;
  let dynalite: RunningDynalite | undefined;
  afterEach(async () => {
    await dynalite?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('moves the pushes left there into the journal, in order of arrival, and deletes them in dynalite', async () => {
    dir = await mkdtemp(join(tmpdir(), 'inbox-adopt-'));
    dynalite = await startDynalite(join(dir, 'dynamodb'));
    const client = makeDynamoClient(dynalite.endpoint);
    await ensureTable(client, LOCAL_TABLE_NAME);
    const old = new DynamoDbInbox({ client, tableName: LOCAL_TABLE_NAME });
    await old.add({ id: 'second', body: '{"n":2}', receivedAt: 2_000, seq: 1 });
    await old.add({ id: 'first', body: '{"n":1}', receivedAt: 1_000, seq: 7 });

    const logger = new CapturingLogger();
    const handlers = await wireLocalHandlers({
      registryUrl: 'http://127.0.0.1:9',
      dynamoEndpoint: dynalite.endpoint,
      dataDir: dir,
      logger,
      notify: { urls: [], secret: '' },
    });
    try {
      expect((await handlers.inbox?.store.list())?.map((e) => e.id)).toEqual(['first', 'second']);
      expect(await old.list()).toEqual([]);
    } finally {
      await handlers.close?.();
      client.destroy();
    }
  });
});
