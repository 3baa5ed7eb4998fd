import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbVersionStore } from '../../../src/adapters/dynamodb/dynamodb-version-store.ts';
import type { Announcement } from '../../../src/core/version-record.ts';

// The announcement claim's exact UpdateItem: the contract suite proves its behaviour on dynalite.

const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const ddb = mockClient(client);
const store = new DynamoDbVersionStore({ client, tableName: 'versions' });
afterEach(() => ddb.reset());

const claim: Announcement = { id: 'e-1', revision: 2, order: 19, state: 'pending', until: 1_800_000_060_000 };
const key = { pk: { S: 'REPO#team/hello' }, sk: { S: 'VERSION#2.7' } };

describe('DynamoDbVersionStore announcements', () => {
  it('claims with one conditional UpdateItem: the record exists, nothing higher is announced, and this outcome is new or abandoned', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: {} });
    expect(await store.claimAnnouncement({ repository: 'team/hello', version: '2.7' }, { claim, now: 1_800_000_000_000 })).toBe(true);
    expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).toStrictEqual([
      {
        TableName: 'versions',
        Key: key,
        UpdateExpression: 'SET #announcement = :announcement',
        ConditionExpression:
          'attribute_exists(#pk) AND (attribute_not_exists(#announcement) OR #announcement.#order <= :order AND ' +
          '#announcement.#id <> :id OR #announcement.#order <= :order AND #announcement.#state = :pending AND #announcement.#until < :nowMs)',
        ExpressionAttributeNames: {
          '#pk': 'pk',
          '#until': 'until',
          '#announcement': 'announcement',
          '#id': 'id',
          '#state': 'state',
          '#order': 'order',
        },
        ExpressionAttributeValues: {
          ':announcement': {
            M: { id: { S: 'e-1' }, revision: { N: '2' }, order: { N: '19' }, state: { S: 'pending' }, until: { N: '1800000060000' } },
          },
          ':order': { N: '19' },
          ':id': { S: 'e-1' },
          ':pending': { S: 'pending' },
          ':nowMs': { N: '1800000000000' },
        },
        ReturnValues: 'ALL_NEW',
      },
    ]);
  });

  it('answers false when the condition fails', async () => {
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    expect(await store.claimAnnouncement({ repository: 'team/hello', version: '2.7' }, { claim, now: 1_800_000_000_000 })).toBe(false);
  });

  it.each([
    [
      'sent',
      'SET #announcement.#state = :sent REMOVE #announcement.#event',
      { ':id': { S: 'e-1' }, ':sent': { S: 'sent' } },
      { '#announcement': 'announcement', '#id': 'id', '#state': 'state', '#event': 'event' },
    ],
    [
      'retry',
      'SET #announcement.#until = :expired',
      { ':id': { S: 'e-1' }, ':expired': { N: '0' } },
      { '#until': 'until', '#announcement': 'announcement', '#id': 'id' },
    ],
  ] as const)('settles as %s only while the announcement is still that id', async (how, update, values, names) => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: {} });
    expect(await store.settleAnnouncement({ repository: 'team/hello', version: '2.7' }, { id: 'e-1', how })).toBe(true);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toStrictEqual({
      TableName: 'versions',
      Key: key,
      UpdateExpression: update,
      ConditionExpression: '#announcement.#id = :id',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
  });

  it('settles and gives the lease up in one write, only while the caller holds it at the revision it published', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: {} });
    const release = { owner: 'publisher-1', expectedRevision: 2 };
    expect(await store.settleAnnouncement({ repository: 'team/hello', version: '2.7' }, { id: 'e-1', how: 'sent', release })).toBe(true);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toStrictEqual({
      TableName: 'versions',
      Key: key,
      UpdateExpression: 'SET #announcement.#state = :sent REMOVE #announcement.#event, #lease',
      ConditionExpression: '#announcement.#id = :id AND #lease.#owner = :owner AND #revision = :expectedRevision',
      ExpressionAttributeNames: {
        '#announcement': 'announcement',
        '#id': 'id',
        '#state': 'state',
        '#event': 'event',
        '#lease': 'lease',
        '#owner': 'owner',
        '#revision': 'revision',
      },
      ExpressionAttributeValues: {
        ':id': { S: 'e-1' },
        ':sent': { S: 'sent' },
        ':owner': { S: 'publisher-1' },
        ':expectedRevision': { N: '2' },
      },
      ReturnValues: 'ALL_NEW',
    });
  });
});
