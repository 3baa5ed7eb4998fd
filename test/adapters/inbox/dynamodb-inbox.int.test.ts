import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../../src/adapters/dynamodb/dynamodb-table.ts';
import { DynamoDbInbox } from '../../../src/adapters/inbox/dynamodb-inbox.ts';
import type { InboxEntry } from '../../../src/adapters/inbox/inbox-entry.ts';
import { DynamoDbOutbox } from '../../../src/adapters/webhook/dynamodb-outbox.ts';
import { type RunningDynalite, startDynalite } from '../../../src/local/dynalite/dynalite-server.ts';
import { createUniqueTable, makeDynamoClient } from '../../support/dynamodb.ts';
import { expectRestartResumesInbox } from '../../support/inbox-restart.ts';

const entry = (id: string, receivedAt: number, seq: number): InboxEntry => ({ id, body: JSON.stringify({ id }), receivedAt, seq });

describe('DynamoDbInbox on dynalite', () => {
  let client: DynamoDBClient;
  let tableName: string;

  beforeAll(async () => {
    client = makeDynamoClient();
    tableName = await createUniqueTable(client);
  });

  it('records an event once, lists events in the order they arrived, and removes one', async () => {
    const inbox = new DynamoDbInbox({ client, tableName });
    expect(await inbox.add(entry('b', 1_000, 2))).toBe(true);
    expect(await inbox.add(entry('a', 1_000, 1))).toBe(true);
    expect(await inbox.add(entry('c', 999, 9))).toBe(true);
    // A redelivery of a recorded event: no second item, and the first one is kept as it was.
    expect(await inbox.add({ ...entry('b', 5_000, 7), body: '{"changed":true}' })).toBe(false);
    expect(await inbox.list()).toEqual([entry('c', 999, 9), entry('a', 1_000, 1), entry('b', 1_000, 2)]);
    await inbox.remove(['a']);
    await inbox.remove(['not-there']);
    expect((await inbox.list()).map((e) => e.id)).toEqual(['c', 'b']);
  });

  it('removes more events at once than one BatchWriteItem takes (25)', async () => {
    const table = await createUniqueTable(client, 'inbox-batch');
    const inbox = new DynamoDbInbox({ client, tableName: table });
    const ids = Array.from({ length: 30 }, (_, i) => `e${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) await inbox.add(entry(id, i, i));
    await inbox.remove(ids.slice(0, 28));
    expect((await inbox.list()).map((e) => e.id)).toEqual(['e28', 'e29']);
  });

  it('lists past one Query page (1 MB)', async () => {
    const table = await createUniqueTable(client, 'inbox-pages');
    const inbox = new DynamoDbInbox({ client, tableName: table });
    const body = 'x'.repeat(100_000);
    for (let i = 0; i < 14; i++) await inbox.add({ id: `e${String(i).padStart(2, '0')}`, body, receivedAt: i, seq: i });
    const listed = await inbox.list();
    expect(listed).toHaveLength(14);
    expect(listed.map((e) => e.receivedAt)).toEqual([...Array(14).keys()]);
  });

  it('shares the table with the notify outbox without seeing its items', async () => {
    const table = await createUniqueTable(client, 'inbox-outbox');
    await new DynamoDbOutbox({ client, tableName: table }).enqueue('ev-1', '{}', ['http://127.0.0.1:9/'], 1);
    const inbox = new DynamoDbInbox({ client, tableName: table });
    await inbox.add(entry('push-1', 2, 1));
    expect((await inbox.list()).map((e) => e.id)).toEqual(['push-1']);
    expect((await new DynamoDbOutbox({ client, tableName: table }).list()).map((i) => i.eventId)).toEqual(['ev-1']);
  });
});

describe('RegistryInbox over DynamoDbInbox, stopped mid-way and started again on the same data folder', () => {
  let dir: string;
  let dynalite: RunningDynalite | undefined;

  afterEach(async () => {
    await dynalite?.stop();
    dynalite = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('handles what the first run recorded and did not finish, and nothing it finished', async () => {
    dir = await mkdtemp(join(tmpdir(), 'inbox-int-'));
    const open = async () => {
      dynalite = await startDynalite(dir);
      const c = makeDynamoClient(dynalite.endpoint);
      await ensureTable(c, 'inbox');
      return { client: c, store: new DynamoDbInbox({ client: c, tableName: 'inbox' }) };
    };
    await expectRestartResumesInbox(async () => {
      const { client, store } = await open();
      return {
        store,
        async close() {
          client.destroy();
          await dynalite!.stop();
          dynalite = undefined;
        },
      };
    });
  });
});
