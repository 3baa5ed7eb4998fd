import { type AttributeValue, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { toAttributeMap } from '../../../src/adapters/dynamodb/dynamodb-codec.ts';
import { historyKey, REMEMBERED_DIGESTS, tagKey, toConfigItem, versionKey } from '../../../src/adapters/dynamodb/dynamodb-version-items.ts';
import { DynamoDbVersionStore } from '../../../src/adapters/dynamodb/dynamodb-version-store.ts';
import type { VersionKey } from '../../../src/core/ports.ts';
import { normaliseRepositoryConfig } from '../../../src/core/repository-config.ts';
import { captureConditionExpressions, groupingDepth } from '../../support/condition-expressions.ts';
import { createUniqueTable, makeDynamoClient } from '../../support/dynamodb.ts';
import { describeVersionStoreContract } from '../version-store.contract.ts';

// One client for the file; a fresh table for every test, so that listing configs sees only its own.
const client = makeDynamoClient();
afterAll(() => client.destroy());
// Every condition the store sends over the whole file (the contract suite runs each of its writes).
const conditions = captureConditionExpressions(client);

describeVersionStoreContract('DynamoDbVersionStore on dynalite', async () => {
  const tableName = await createUniqueTable(client);
  return new DynamoDbVersionStore({ client, tableName });
});

/** An item as the table holds it, read past the store. */
async function rawItem(tableName: string, key: Record<string, AttributeValue>): Promise<Record<string, AttributeValue> | undefined> {
  return (await client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
}

/** Writes a version record's history attributes past the store, as an older version (or a corruption) left them. */
async function setHistoryAttributes(tableName: string, key: VersionKey, history: AttributeValue, sequence: number): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: versionKey(key),
      UpdateExpression: 'SET #history = :history, #historySequence = :sequence',
      ExpressionAttributeNames: { '#history': 'history', '#historySequence': 'historySequence' },
      ExpressionAttributeValues: { ':history': history, ':sequence': { N: String(sequence) } },
    }),
  );
}

describe('DynamoDbVersionStore on dynalite, items written by older versions', () => {
  it('reads a config stored before annotations existed as having none', async () => {
    const tableName = await createUniqueTable(client);
    const { annotations: _annotations, ...older } = normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64'] });
    await client.send(new PutItemCommand({ TableName: tableName, Item: toConfigItem('hello', older as never) }));
    const store = new DynamoDbVersionStore({ client, tableName });
    expect((await store.getRepositoryConfig('hello'))?.annotations).toStrictEqual({});
    expect((await store.listRepositoryConfigs())[0]?.config.annotations).toStrictEqual({});
  });

  it('reads a history kept in its own HISTORY# item, and moves it onto the record with the next append', async () => {
    const tableName = await createUniqueTable(client);
    const store = new DynamoDbVersionStore({ client, tableName });
    const key = { repository: 'hello', version: '2.7' };
    const entry = (sequence: number) => ({
      id: `note:${sequence}`,
      kind: 'repaired' as const,
      at: '2026-11-27T10:00:00.000Z',
      sequence,
      action: 'put',
    });
    await store.updateImages(key, { set: [], remove: [] }, { expectedRevision: 0, now: Date.parse('2026-11-27T10:00:00.000Z') });
    // As an older version wrote it: beside the record, not on it.
    const older = { sequence: 2, entries: [entry(1), entry(2)] };
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          ...historyKey({ repository: 'hello', version: '2.7' }),
          sequence: { N: '2' },
          entries: {
            L: older.entries.map((e) => ({
              M: {
                id: { S: e.id },
                kind: { S: e.kind },
                at: { S: e.at },
                sequence: { N: String(e.sequence) },
                action: { S: e.action },
              },
            })),
          },
        },
      }),
    );
    expect(await store.getHistory({ repository: 'hello', version: '2.7' })).toEqual(older);
    expect((await store.readForPush(key, { tag: '2.7-amd64', digest: 'sha256:x', targetVersions: [] })).history).toEqual(older);
    const next = { sequence: 3, entries: [...older.entries, entry(3)] };
    expect(await store.putHistory({ repository: 'hello', version: '2.7' }, { history: next, expectedSequence: 2 })).toBe(true);
    expect(await store.getHistory({ repository: 'hello', version: '2.7' })).toEqual(next);
    // From now on the record's history is the one: a writer still holding the older sequence loses.
    expect(
      await store.putHistory(
        { repository: 'hello', version: '2.7' },
        { history: { sequence: 3, entries: [...older.entries, entry(4)] }, expectedSequence: 2 },
      ),
    ).toBe(false);
  });

  it('reads a history kept on the record as a list of maps, and writes it back as one JSON string', async () => {
    const tableName = await createUniqueTable(client);
    const store = new DynamoDbVersionStore({ client, tableName });
    const key = { repository: 'hello', version: '2.7' };
    const entry = (sequence: number) => ({
      id: `push:linux/amd64:sha256:${sequence}`,
      kind: 'push-recorded' as const,
      at: '2026-11-27T10:00:00.000Z',
      sequence,
      platform: 'linux/amd64',
      tag: '2.7-amd64',
      digest: `sha256:${sequence}`,
    });
    await store.updateImages(key, { set: [], remove: [] }, { expectedRevision: 0, now: Date.parse('2026-11-27T10:00:00.000Z') });
    // As an older version wrote it: the entries as a list of maps on the record.
    const older = { sequence: 2, entries: [entry(1), entry(2)] };
    await setHistoryAttributes(tableName, key, { L: older.entries.map((e) => ({ M: toAttributeMap(e) })) }, 2);
    expect(await store.getHistory(key)).toEqual(older);
    expect((await store.readForPush(key, { tag: '2.7-amd64', digest: 'sha256:x', targetVersions: [] })).history).toEqual(older);
    expect(await store.getVersion(key)).toMatchObject({ revision: 1, images: {} });

    const next = { sequence: 3, entries: [...older.entries, entry(3)] };
    expect(await store.putHistory(key, { history: next, expectedSequence: 2 })).toBe(true);
    expect((await rawItem(tableName, versionKey(key)))?.history).toStrictEqual({ S: JSON.stringify(next.entries) });
    expect(await store.getHistory(key)).toEqual(next);
  });

  it('reads the digests remembered under a tag in the older set, and drops the set at the first cut of the list', async () => {
    const tableName = await createUniqueTable(client);
    const store = new DynamoDbVersionStore({ client, tableName });
    const digest = (i: number) => `sha256:${String(i).padStart(64, '0')}`;
    const tag = { repository: 'hello', tag: '2.7-rc1' };
    // As an older version wrote it: a set that grew with every publish.
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { ...tagKey('hello', '2.7-rc1'), digests: { SS: [digest(1000), digest(1001)] } } }),
    );
    expect(await store.isPublishedTag({ ...tag, digest: digest(1000) })).toBe(true);
    await store.rememberPublishedTag({ ...tag, digest: digest(0) });
    await store.rememberPublishedTag({ ...tag, digest: digest(0) }); // a retried publish: once in the list
    expect((await rawItem(tableName, tagKey('hello', '2.7-rc1')))?.recent).toStrictEqual({ L: [{ S: digest(0) }] });
    expect(await store.isPublishedTag({ ...tag, digest: digest(1001) })).toBe(true);
    expect(await store.isPublishedTag({ ...tag, digest: digest(0) })).toBe(true);
    for (let i = 1; i <= 2 * REMEMBERED_DIGESTS; i++) await store.rememberPublishedTag({ ...tag, digest: digest(i) });
    const item = await rawItem(tableName, tagKey('hello', '2.7-rc1'));
    expect(item?.digests).toBeUndefined();
    expect(item?.recent?.L?.map((value) => value.S)).toStrictEqual(
      Array.from({ length: REMEMBERED_DIGESTS }, (_, i) => digest(2 * REMEMBERED_DIGESTS - REMEMBERED_DIGESTS + 1 + i)),
    );
    expect(await store.isPublishedTag({ ...tag, digest: digest(1000) })).toBe(false);
    expect(await store.isPublishedTag({ ...tag, digest: digest(2 * REMEMBERED_DIGESTS) })).toBe(true);
  });

  it('stores push and publish entries without the ids their fields give back, and reads them with them', async () => {
    const tableName = await createUniqueTable(client);
    const store = new DynamoDbVersionStore({ client, tableName });
    const key = { repository: 'hello', version: '2.7' };
    const digest = `sha256:${'a'.repeat(64)}`;
    const pushed = {
      id: `push:linux/amd64:${digest}:2.7-amd64:2026-11-27T10:00:00.000Z`,
      kind: 'push-recorded' as const,
      at: '2026-11-27T10:00:00.000Z',
      sequence: 1,
      platform: 'linux/amd64',
      tag: '2.7-amd64',
      digest,
    };
    const published = {
      id: `publish:2:${digest}:2026-11-27T10:00:01.000Z`,
      kind: 'published' as const,
      at: '2026-11-27T10:00:01.000Z',
      sequence: 2,
      digest,
      tags: ['2.7'],
      revision: 2,
    };
    const repaired = { id: 'repair:put:2.7', kind: 'repaired' as const, at: '2026-11-27T10:00:02.000Z', sequence: 3, action: 'put' };
    await store.updateImages(key, { set: [], remove: [] }, { expectedRevision: 0, now: Date.parse('2026-11-27T10:00:00.000Z') });
    const history = { sequence: 3, entries: [pushed, published, repaired] };
    expect(await store.putHistory(key, { history, expectedSequence: 0 })).toBe(true);
    const stored = JSON.parse((await rawItem(tableName, versionKey(key)))?.history?.S ?? '[]') as Array<Record<string, unknown>>;
    expect(stored.map((entry) => entry.id)).toStrictEqual([undefined, undefined, 'repair:put:2.7']);
    expect(await store.getHistory(key)).toStrictEqual(history);
    // Its id first, as the writer made it (the API answers the entries as stored).
    expect(Object.keys((await store.getHistory(key)).entries[0] ?? {})[0]).toBe('id');

    // An entry of another kind that lost its id is an error naming the item, not an entry without one.
    await setHistoryAttributes(
      tableName,
      key,
      { S: JSON.stringify([{ kind: 'repaired', at: '2026-11-27T10:00:02.000Z', sequence: 1 }]) },
      1,
    );
    await expect(store.getHistory(key)).rejects.toThrow('REPO#hello VERSION#2.7: attribute history: entry 1 (repaired) has no id');
  });

  it('names the item whose history is not a JSON array', async () => {
    const tableName = await createUniqueTable(client);
    const store = new DynamoDbVersionStore({ client, tableName });
    const key = { repository: 'hello', version: '2.7' };
    await store.updateImages(key, { set: [], remove: [] }, { expectedRevision: 0, now: Date.parse('2026-11-27T10:00:00.000Z') });
    await setHistoryAttributes(tableName, key, { S: '{"not":"a list"}' }, 1);
    await expect(store.getHistory(key)).rejects.toThrow('REPO#hello VERSION#2.7: attribute history is not a JSON array');
  });
});

// Last in the file (vitest runs a file's tests in order): the conditions every test above sent.
describe('DynamoDbVersionStore on dynalite, the conditions it writes', () => {
  // dynalite's condition parser (a PEG parser without memoisation) backtracks exponentially in the
  // nesting of parentheses: the announcement's claim nested three deep cost it 18.6 ms of CPU per
  // publish, written flat 1.1 ms (docs/performance.md). DynamoDB reads either the same.
  it('nests grouping parentheses at most one level deep', () => {
    expect(conditions.size, 'the contract suite ran the conditional writes of the store').toBeGreaterThan(15);
    const tooDeep = [...conditions].filter((condition) => groupingDepth(condition) > 1);
    expect(tooDeep).toStrictEqual([]);
    // The announcement's claim, written out flat.
    expect(conditions).toContain(
      'attribute_exists(#pk) AND (attribute_not_exists(#announcement) OR #announcement.#order <= :order AND ' +
        '#announcement.#id <> :id OR #announcement.#order <= :order AND #announcement.#state = :pending AND #announcement.#until < :nowMs)',
    );
  });
});
