import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbVersionStore } from '../../../src/adapters/dynamodb/dynamodb-version-store.ts';
import type { RecordedImage } from '../../../src/core/version-record.ts';

// The commands themselves, exactly: the contract suite proves behaviour on dynalite, this pins
// the expressions the production table will see (Powertools-style command assertions).

const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const ddb = mockClient(client);
const store = new DynamoDbVersionStore({ client, tableName: 'versions' });
afterEach(() => ddb.reset());

const windowsImage: RecordedImage = {
  key: 'windows(10.0.20348)/amd64',
  platform: { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' },
  digest: `sha256:${'a'.repeat(64)}`,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  size: 1000,
  tag: '2.7-windows',
  sourceDigest: `sha256:${'a'.repeat(64)}`,
  pushedAt: '2026-11-27T10:00:00.000Z',
  attestations: [],
};

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('DynamoDbVersionStore', () => {
  describe('updateImages on an existing record', () => {
    it('sends one UpdateItem that sets and removes image keys under a revision condition', async () => {
      ddb.on(UpdateItemCommand).resolves({
        Attributes: {
          pk: { S: 'REPO#team/hello' },
          sk: { S: 'VERSION#2.7' },
          repository: { S: 'team/hello' },
          version: { S: '2.7' },
          revision: { N: '4' },
          images: { M: {} },
          createdAt: { S: '2026-11-27T09:00:00.000Z' },
          updatedAt: { S: '2026-11-27T10:00:01.000Z' },
        },
      });
      const record = await store.updateImages(
        { repository: 'team/hello', version: '2.7' },
        { set: [windowsImage], remove: ['linux/arm/v7'] },
        { expectedRevision: 3, now: Date.parse('2026-11-27T10:00:01.000Z') },
      );

      expect(ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input)).toStrictEqual([
        {
          TableName: 'versions',
          Key: { pk: { S: 'REPO#team/hello' }, sk: { S: 'VERSION#2.7' } },
          UpdateExpression: 'SET #revision = :nextRevision, #updatedAt = :now, #images.#set0 = :set0 REMOVE #images.#remove0',
          ConditionExpression: '#revision = :expectedRevision',
          ExpressionAttributeNames: {
            '#revision': 'revision',
            '#images': 'images',
            '#updatedAt': 'updatedAt',
            '#set0': 'windows(10.0.20348)/amd64',
            '#remove0': 'linux/arm/v7',
          },
          ExpressionAttributeValues: {
            ':expectedRevision': { N: '3' },
            ':nextRevision': { N: '4' },
            ':now': { S: '2026-11-27T10:00:01.000Z' },
            ':set0': {
              M: {
                key: { S: 'windows(10.0.20348)/amd64' },
                platform: { M: { os: { S: 'windows' }, architecture: { S: 'amd64' }, osVersion: { S: '10.0.20348' } } },
                digest: { S: windowsImage.digest },
                mediaType: { S: 'application/vnd.docker.distribution.manifest.v2+json' },
                size: { N: '1000' },
                tag: { S: '2.7-windows' },
                sourceDigest: { S: windowsImage.sourceDigest },
                pushedAt: { S: '2026-11-27T10:00:00.000Z' },
                attestations: { L: [] },
              },
            },
          },
          ReturnValues: 'ALL_NEW',
        },
      ]);
      expect(record).toStrictEqual({
        repository: 'team/hello',
        version: '2.7',
        revision: 4,
        images: {},
        createdAt: '2026-11-27T09:00:00.000Z',
        updatedAt: '2026-11-27T10:00:01.000Z',
      });
    });

    it('gives undefined when the revision condition fails', async () => {
      ddb.on(UpdateItemCommand).rejects(conditionFailed());
      expect(
        await store.updateImages(
          { repository: 'hello', version: '2.7' },
          { set: [], remove: [] },
          { expectedRevision: 3, now: Date.parse('2026-11-27T10:00:01.000Z') },
        ),
      ).toBeUndefined();
    });

    it('rethrows errors it does not know', async () => {
      const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      ddb.on(UpdateItemCommand).rejects(throttled);
      await expect(
        store.updateImages(
          { repository: 'hello', version: '2.7' },
          { set: [], remove: [] },
          { expectedRevision: 3, now: Date.parse('2026-11-27T10:00:01.000Z') },
        ),
      ).rejects.toBe(throttled);
    });
  });

  describe('updateImages with expectedRevision 0', () => {
    it('creates the record with a PutItem that fails if it exists', async () => {
      ddb.on(PutItemCommand).rejects(conditionFailed());
      ddb
        .on(GetItemCommand)
        .resolves({ Item: { pk: { S: 'REPO#hello' }, sk: { S: 'VERSION#2.7' }, revision: { N: '1' }, images: { M: {} } } });
      expect(
        await store.updateImages(
          { repository: 'hello', version: '2.7' },
          { set: [], remove: [] },
          { expectedRevision: 0, now: Date.parse('2026-11-27T10:00:00.000Z') },
        ),
      ).toBeUndefined();
      const [put] = ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input);
      expect(put).toMatchObject({
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
        Item: { pk: { S: 'REPO#hello' }, sk: { S: 'VERSION#2.7' }, revision: { N: '1' }, images: { M: {} } },
      });
      expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    });

    it('takes over a record that holds only refusals (revision 0), conditioned on its revision still being 0', async () => {
      ddb.on(PutItemCommand).rejects(conditionFailed());
      ddb
        .on(GetItemCommand)
        .resolves({ Item: { pk: { S: 'REPO#hello' }, sk: { S: 'VERSION#2.7' }, revision: { N: '0' }, images: { M: {} } } });
      ddb.on(UpdateItemCommand).rejects(conditionFailed());
      expect(
        await store.updateImages(
          { repository: 'hello', version: '2.7' },
          { set: [], remove: [], clearRejected: ['2.7-arm64'] },
          { expectedRevision: 0, now: Date.parse('2026-11-27T10:00:00.000Z') },
        ),
      ).toBeUndefined();
      const [update] = ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
      expect(update).toMatchObject({
        UpdateExpression: 'SET #revision = :one, #images = :images, #updatedAt = :now REMOVE #rejected.#clearRejected0',
        ConditionExpression: '#revision = :zero',
        ExpressionAttributeNames: {
          '#revision': 'revision',
          '#images': 'images',
          '#updatedAt': 'updatedAt',
          '#rejected': 'rejected',
          '#clearRejected0': '2.7-arm64',
        },
      });
    });
  });

  describe('acquireLease', () => {
    it('conditions the lease on a free, expired or own lease of an existing record', async () => {
      ddb.on(UpdateItemCommand).rejects(conditionFailed());
      expect(
        await store.acquireLease({ repository: 'hello', version: '2.7' }, { owner: 'owner-1', now: 1000, leaseMs: 30_000 }),
      ).toBeUndefined();
      expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toStrictEqual({
        TableName: 'versions',
        Key: { pk: { S: 'REPO#hello' }, sk: { S: 'VERSION#2.7' } },
        UpdateExpression: 'SET #lease = :lease',
        ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#lease) OR #lease.#until < :nowMs OR #lease.#owner = :owner)',
        ExpressionAttributeNames: { '#pk': 'pk', '#lease': 'lease', '#owner': 'owner', '#until': 'until' },
        ExpressionAttributeValues: {
          ':lease': { M: { owner: { S: 'owner-1' }, until: { N: '31000' } } },
          ':nowMs': { N: '1000' },
          ':owner': { S: 'owner-1' },
        },
        ReturnValues: 'ALL_NEW',
      });
    });
  });

  describe('releaseLease', () => {
    it.each([
      ['revision-moved', { lease: { M: { owner: { S: 'owner-1' }, until: { N: '5' } } } }],
      ['not-held', { lease: { M: { owner: { S: 'owner-2' }, until: { N: '5' } } } }],
      ['not-held', {}],
    ] as const)("reads the record after a failed condition to tell '%s'", async (outcome, lease) => {
      ddb.on(UpdateItemCommand).rejects(conditionFailed());
      ddb.on(GetItemCommand).resolves({
        Item: { repository: { S: 'hello' }, version: { S: '2.7' }, revision: { N: '2' }, images: { M: {} }, ...lease },
      });
      expect(await store.releaseLease({ repository: 'hello', version: '2.7' }, { owner: 'owner-1', expectedRevision: 1 })).toBe(outcome);
      expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toMatchObject({
        UpdateExpression: 'REMOVE #lease',
        ConditionExpression: '#lease.#owner = :owner AND #revision = :expectedRevision',
      });
      expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true });
    });
  });

  describe('claimFloatingTag', () => {
    const pointer = { tag: 'latest', version: '2.8.0', digest: `sha256:${'b'.repeat(64)}`, revision: 3, rank: 'r2' };

    it('puts the pointer under a condition that lets it only move forward', async () => {
      ddb.on(PutItemCommand).resolves({});
      expect(await store.claimFloatingTag('team/hello', pointer)).toStrictEqual({ kind: 'claimed' });
      expect(ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toStrictEqual([
        {
          TableName: 'versions',
          Item: {
            pk: { S: 'REPO#team/hello' },
            sk: { S: 'FLOAT#latest' },
            tag: { S: 'latest' },
            version: { S: '2.8.0' },
            digest: { S: pointer.digest },
            revision: { N: '3' },
            rank: { S: 'r2' },
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #rank <= :rank',
          ExpressionAttributeNames: { '#pk': 'pk', '#rank': 'rank' },
          ExpressionAttributeValues: { ':rank': { S: 'r2' } },
        },
      ]);
    });

    it('reads the higher pointer after a failed condition', async () => {
      ddb.on(PutItemCommand).rejects(conditionFailed());
      const higher = {
        tag: { S: 'latest' },
        version: { S: '2.9.0' },
        digest: { S: pointer.digest },
        revision: { N: '1' },
        rank: { S: 'r3' },
      };
      ddb.on(GetItemCommand).resolves({ Item: { pk: { S: 'REPO#team/hello' }, sk: { S: 'FLOAT#latest' }, ...higher } });
      expect(await store.claimFloatingTag('team/hello', pointer)).toStrictEqual({
        kind: 'higher',
        pointer: { tag: 'latest', version: '2.9.0', digest: pointer.digest, revision: 1, rank: 'r3' },
      });
      expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toStrictEqual({
        TableName: 'versions',
        Key: { pk: { S: 'REPO#team/hello' }, sk: { S: 'FLOAT#latest' } },
        ConsistentRead: true,
      });
    });
  });

  describe('rememberPublishedTag', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const appended = {
      TableName: 'versions',
      Key: { pk: { S: 'REPO#hello' }, sk: { S: 'TAG#2.7-rc1' } },
      UpdateExpression: 'SET #recent = list_append(if_not_exists(#recent, :none), :appended)',
      ConditionExpression: 'attribute_not_exists(#recent) OR NOT contains(#recent, :digest)',
      ExpressionAttributeNames: { '#recent': 'recent' },
      ExpressionAttributeValues: { ':none': { L: [] }, ':appended': { L: [{ S: digest }] }, ':digest': { S: digest } },
      ReturnValues: 'ALL_NEW',
    };
    const listOf = (count: number) => ({ L: Array.from({ length: count }, (_, i) => ({ S: `sha256:${String(i).padStart(64, '0')}` })) });

    it('appends the digest to the list once, and writes nothing more while the list is within twice the bound', async () => {
      ddb.on(UpdateItemCommand).resolves({ Attributes: { recent: listOf(100) } });
      await store.rememberPublishedTag({ repository: 'hello', tag: '2.7-rc1', digest });
      expect(ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input)).toStrictEqual([appended]);
    });

    it('takes a digest remembered already as done', async () => {
      ddb.on(UpdateItemCommand).rejects(conditionFailed());
      await store.rememberPublishedTag({ repository: 'hello', tag: '2.7-rc1', digest });
      expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    });

    it('past twice the bound, cuts the list back to the newest 50 and drops the older set, only if nobody appended since', async () => {
      ddb
        .on(UpdateItemCommand)
        .resolvesOnce({ Attributes: { recent: listOf(101) } })
        .resolves({ Attributes: {} });
      await store.rememberPublishedTag({ repository: 'hello', tag: '2.7-rc1', digest });
      const calls = ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
      expect(calls[0]).toStrictEqual(appended);
      expect(calls[1]).toStrictEqual({
        TableName: 'versions',
        Key: { pk: { S: 'REPO#hello' }, sk: { S: 'TAG#2.7-rc1' } },
        UpdateExpression: 'SET #recent = :kept REMOVE #digests',
        ConditionExpression: 'size(#recent) = :length AND #recent[100] = :last',
        ExpressionAttributeNames: { '#recent': 'recent', '#digests': 'digests' },
        ExpressionAttributeValues: { ':kept': { L: listOf(101).L.slice(51) }, ':length': { N: '101' }, ':last': listOf(101).L[100] },
        ReturnValues: 'ALL_NEW',
      });
    });
  });

  describe('putHistory', () => {
    const history = {
      sequence: 3,
      entries: [{ id: 'publish:2:x', kind: 'published' as const, at: '2026-11-27T10:00:01.000Z', sequence: 3, tags: ['2.7'], revision: 2 }],
    };
    const entries = {
      L: [
        {
          M: {
            id: { S: 'publish:2:x' },
            kind: { S: 'published' },
            at: { S: '2026-11-27T10:00:01.000Z' },
            sequence: { N: '3' },
            tags: { L: [{ S: '2.7' }] },
            revision: { N: '2' },
          },
        },
      ],
    };

    it('sends one UpdateItem of the whole bounded history onto the version record, conditional on the sequence read', async () => {
      ddb.on(UpdateItemCommand).resolves({ Attributes: {} });
      expect(await store.putHistory({ repository: 'team/hello', version: '2.7' }, { history, expectedSequence: 2 })).toBe(true);
      expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
        TableName: 'versions',
        Key: { pk: { S: 'REPO#team/hello' }, sk: { S: 'VERSION#2.7' } },
        UpdateExpression: 'SET #history = :history, #historySequence = :historySequence',
        ConditionExpression:
          'attribute_exists(#pk) AND attribute_not_exists(#historySequence) OR attribute_exists(#pk) AND #historySequence = :expectedHistorySequence',
        ExpressionAttributeNames: { '#pk': 'pk', '#history': 'history', '#historySequence': 'historySequence' },
        // On the record the entries are one JSON string (dynamodb-version-items.ts says why).
        ExpressionAttributeValues: {
          ':history': { S: JSON.stringify(history.entries) },
          ':historySequence': { N: '3' },
          ':expectedHistorySequence': { N: '2' },
        },
        ReturnValues: 'ALL_NEW',
      });
      expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it('answers false when another writer appended to the record first', async () => {
      ddb.on(UpdateItemCommand).rejects(conditionFailed());
      ddb
        .on(GetItemCommand)
        .resolves({ Item: { pk: { S: 'REPO#team/hello' }, sk: { S: 'VERSION#2.7' }, revision: { N: '1' }, images: { M: {} } } });
      expect(await store.putHistory({ repository: 'team/hello', version: '2.7' }, { history, expectedSequence: 2 })).toBe(false);
      expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it('without a record, puts the separate history item, conditional on the sequence read', async () => {
      ddb.on(UpdateItemCommand).rejects(conditionFailed());
      ddb.on(GetItemCommand).resolves({});
      ddb.on(PutItemCommand).resolves({});
      expect(await store.putHistory({ repository: 'team/hello', version: '2.7' }, { history, expectedSequence: 2 })).toBe(true);
      expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
        TableName: 'versions',
        Item: { pk: { S: 'REPO#team/hello' }, sk: { S: 'HISTORY#2.7' }, sequence: { N: '3' }, entries },
        ConditionExpression: '#sequence = :expectedSequence',
        ExpressionAttributeNames: { '#sequence': 'sequence' },
        ExpressionAttributeValues: { ':expectedSequence': { N: '2' } },
      });
    });

    it('without a record, creates the first history only where none exists, and answers false when another writer came first', async () => {
      ddb.on(UpdateItemCommand).rejects(conditionFailed());
      ddb.on(GetItemCommand).resolves({});
      ddb.on(PutItemCommand).rejects(conditionFailed());
      expect(await store.putHistory({ repository: 'team/hello', version: '2.7' }, { history, expectedSequence: 0 })).toBe(false);
      expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      });
    });
  });
});
