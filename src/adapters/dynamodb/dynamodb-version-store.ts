import {
  type AttributeValue,
  BatchGetItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { FloatingPointer } from '../../core/floating-pointer.ts';
import type {
  AnnouncementClaim,
  CompletePublishOptions,
  EpochMs,
  FloatingClaim,
  HistoryWrite,
  ImagesChange,
  LeaseRequest,
  PushContext,
  TaggedDigest,
  UpdateImagesOptions,
  VersionKey,
  VersionPage,
  VersionStore,
} from '../../core/ports.ts';
import type { RepositoryConfig } from '../../core/repository-config.ts';
import { EMPTY_HISTORY, type VersionHistory } from '../../core/version-history.ts';
import type { PublishedIndex, PushRejection, RecordedImage, VersionError, VersionRecord } from '../../core/version-record.ts';
import { checkCount, checkImagesChange, checkLease, checkLimit } from '../../core/version-store-input.ts';
import { fromAttributeMap, toAttributeMap } from './dynamodb-codec.ts';
import { isConditionFailed, queryPartition } from './dynamodb-partition.ts';
import {
  checkpointKey,
  configKey,
  configsPartition,
  decodeCursor,
  encodeCursor,
  FLOATING_PREFIX,
  floatingKey,
  fromConfigItem,
  fromFloatingItem,
  fromVersionItem,
  HISTORY_ATTRIBUTE,
  HISTORY_SEQUENCE_ATTRIBUTE,
  historyKey,
  historyOfVersionItem,
  type Item,
  type Key,
  repositoryPartition,
  tagKey,
  toConfigItem,
  toFloatingItem,
  toVersionItem,
  VERSION_PREFIX,
  versionKey,
} from './dynamodb-version-items.ts';

export interface DynamoDbVersionStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

// Every attribute is named through ExpressionAttributeNames: several (`size`, `owner`, `until`…)
// are DynamoDB reserved words, and it keeps all expressions in one spelling.
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '#pk': 'pk',
  '#sk': 'sk',
  '#revision': 'revision',
  '#images': 'images',
  '#lease': 'lease',
  '#owner': 'owner',
  '#until': 'until',
  '#error': 'error',
  '#published': 'published',
  '#updatedAt': 'updatedAt',
  '#digests': 'digests',
  '#announcement': 'announcement',
  '#id': 'id',
  '#state': 'state',
  '#event': 'event',
  '#order': 'order',
  '#rank': 'rank',
  '#rejected': 'rejected',
  '#digest': 'digest',
  '#repository': 'repository',
  '#version': 'version',
  '#createdAt': 'createdAt',
  '#history': HISTORY_ATTRIBUTE,
  '#historySequence': HISTORY_SEQUENCE_ATTRIBUTE,
};

// Condition clauses, named for what they mean (the ports.ts contract states each one).
const recordExists = 'attribute_exists(#pk)';
const revisionIsExpected = '#revision = :expectedRevision';
const revisionIsErrorRevision = '#revision = :errorRevision';
const noLease = 'attribute_not_exists(#lease)';
const leaseExpired = '#lease.#until < :nowMs';
const leaseHeldByCaller = '#lease.#owner = :owner';
const leaseIsTakeable = `${recordExists} AND (${noLease} OR ${leaseExpired} OR ${leaseHeldByCaller})`;
const errorIsNotNewerThanPublished = 'attribute_not_exists(#error) OR #error.#revision <= :publishedRevision';
const errorIsNewerThanPublished = '#error.#revision > :publishedRevision';
const nothingAnnounced = 'attribute_not_exists(#announcement)';
const announcedNoHigher = '#announcement.#order <= :order';
const announcedOtherOutcome = '#announcement.#id <> :id';
const announcementAbandoned = '(#announcement.#state = :pending AND #announcement.#until < :nowMs)';
const announcementIsClaimable = `(${nothingAnnounced} OR (${announcedNoHigher} AND (${announcedOtherOutcome} OR ${announcementAbandoned})))`;
const announcementIsId = '#announcement.#id = :id';
const publishedRevisionIsCurrent = '#revision = :publishedRevision';
// Ranks are fixed-width strings ordered like the versions they stand for (floating-pointer.ts).
const pointerIsNotHigher = 'attribute_not_exists(#pk) OR #rank <= :rank';
const onlyRefusalsRecorded = '#revision = :zero';
const hasRefusals = 'attribute_exists(#rejected)';
const hasNoRefusals = 'attribute_not_exists(#rejected)';
// The history on the version item is compare-and-set on its sequence. Where the item has none yet,
// its history is the older separate item's (or none), which nothing writes once the record exists
// (see putHistory), so every writer read the same one and expects that one's sequence.
const historySequenceIsExpected = (expectedSequence: number): string =>
  expectedSequence === 0
    ? 'attribute_not_exists(#historySequence)'
    : '(attribute_not_exists(#historySequence) OR #historySequence = :expectedHistorySequence)';

/** How often a two-step write (recordPublished, releaseLease) re-reads after racing another writer. */
const MAX_RACE_RETRIES = 3;

interface UpdateRequest {
  readonly key: Key;
  readonly update: string;
  readonly condition?: string;
  readonly values: Record<string, AttributeValue>;
  /** Names beyond ATTRIBUTE_NAMES, such as image keys (which contain '/', '(' and '.'). */
  readonly names?: Record<string, string>;
}

/**
 * The {@link VersionStore} on DynamoDB: one table, single-item conditional writes only (dynalite,
 * the local DynamoDB, has no transactions), the same code on AWS and locally. A failed condition
 * (`ConditionalCheckFailedException`) becomes the port's return value; other errors pass through.
 */
export class DynamoDbVersionStore implements VersionStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbVersionStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async getRepositoryConfig(repository: string): Promise<RepositoryConfig | undefined> {
    const item = await this.#get(configKey(repository));
    return item === undefined ? undefined : fromConfigItem(item).config;
  }

  async putRepositoryConfig(repository: string, config: RepositoryConfig): Promise<void> {
    await this.#client.send(new PutItemCommand({ TableName: this.#tableName, Item: toConfigItem(repository, config) }));
  }

  async deleteRepositoryConfig(repository: string): Promise<boolean> {
    const { Attributes } = await this.#client.send(
      new DeleteItemCommand({ TableName: this.#tableName, Key: configKey(repository), ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  async listRepositoryConfigs(): Promise<Array<{ repository: string; config: RepositoryConfig }>> {
    return (await this.#queryAll(configsPartition())).map(fromConfigItem);
  }

  async getVersion(key: VersionKey): Promise<VersionRecord | undefined> {
    const item = await this.#get(versionKey(key));
    return recordOf(item);
  }

  async listVersions(repository: string, options: { limit: number; cursor?: string | undefined }): Promise<VersionPage> {
    checkLimit(options.limit);
    const startKey = options.cursor === undefined ? undefined : decodeCursor(options.cursor, repository);
    // One more than asked: whether it comes back says if there is a next page, so the last page
    // says `cursor: null` instead of leading the caller to an empty one.
    const result = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :versionPrefix)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': { S: repositoryPartition(repository) }, ':versionPrefix': { S: VERSION_PREFIX } },
        Limit: options.limit + 1,
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    const items = result.Items ?? [];
    const versions = items.slice(0, options.limit).map(fromVersionItem);
    // LastEvaluatedKey with fewer items than asked means DynamoDB stopped at its 1 MB page size.
    const hasMore = items.length > options.limit || result.LastEvaluatedKey !== undefined;
    const last = versions.at(-1);
    let cursor: string | null = null;
    if (hasMore && last !== undefined) cursor = encodeCursor(versionKey(last));
    else if (hasMore && result.LastEvaluatedKey !== undefined) cursor = encodeCursor(result.LastEvaluatedKey as Key);
    return { versions, cursor };
  }

  async readForPush(
    key: VersionKey,
    options: { tag: string; digest: string; targetVersions: readonly string[]; targetTags?: readonly string[] },
  ): Promise<PushContext> {
    const { repository, version } = key;
    const targetVersions = [...new Set(options.targetVersions)].filter((v) => v !== version);
    const targetTags = [...new Set(options.targetTags ?? [])].filter((t) => t !== options.tag);
    const keys = [
      versionKey(key),
      ...targetVersions.map((v) => versionKey({ repository, version: v })),
      tagKey(repository, options.tag),
      ...targetTags.map((t) => tagKey(repository, t)),
      historyKey(key),
    ];
    // One request for every item recording a push looks at (BatchGetItem: at most 100 keys).
    const items = await this.#batchGet(keys);
    const find = (wanted: Key) => items.find((item) => item.pk?.S === wanted.pk?.S && item.sk?.S === wanted.sk?.S);
    const recordItem = find(versionKey(key));
    const targets = new Map<string, VersionRecord>();
    for (const target of targetVersions) {
      const item = find(versionKey({ repository, version: target }));
      if (item !== undefined) targets.set(target, fromVersionItem(item));
    }
    return {
      record: recordOf(recordItem),
      targets,
      publishedByUs: find(tagKey(repository, options.tag))?.digests?.SS?.includes(options.digest) ?? false,
      history: historyOf(recordItem, find(historyKey(key))),
      rememberedTargetTags: new Set(targetTags.filter((t) => (find(tagKey(repository, t))?.digests?.SS?.length ?? 0) > 0)),
    };
  }

  async updateImages(key: VersionKey, change: ImagesChange, options: UpdateImagesOptions): Promise<VersionRecord | undefined> {
    const { expectedRevision, lease, history } = options;
    checkImagesChange(change);
    checkCount(expectedRevision, 'expectedRevision');
    if (lease !== undefined) checkLease(lease);
    if (history !== undefined) checkCount(history.expectedSequence, 'expectedSequence');
    if (expectedRevision === 0) return this.#createVersion(key, change, options);

    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {
      ':expectedRevision': { N: String(expectedRevision) },
      ':nextRevision': { N: String(expectedRevision + 1) },
      ':now': { S: iso(options.now) },
    };
    const sets = ['#revision = :nextRevision', '#updatedAt = :now'];
    change.set.forEach((image, i) => {
      names[`#set${i}`] = image.key;
      values[`:set${i}`] = { M: toAttributeMap(image) };
      sets.push(`#images.#set${i} = :set${i}`);
    });
    if (lease !== undefined) {
      values[':lease'] = { M: toAttributeMap(leaseOf(lease)) };
      sets.push('#lease = :lease');
    }
    const removes = change.remove.map((imageKey, i) => {
      names[`#remove${i}`] = imageKey;
      return `#images.#remove${i}`;
    });
    removes.push(...clearing(change, names));
    let condition = lease === undefined ? revisionIsExpected : `${revisionIsExpected} AND ${noLease}`;
    if (history !== undefined) {
      sets.push(...settingHistory(history, values));
      condition += ` AND ${historySequenceIsExpected(history.expectedSequence)}`;
    }
    const update = `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`;
    const item = await this.#update({ key: versionKey(key), update, condition, values, names });
    return recordOf(item);
  }

  async recordRejection(
    versionOf: VersionKey,
    options: { rejection: PushRejection; evict: readonly string[]; now: EpochMs },
  ): Promise<VersionRecord> {
    const { repository, version } = versionOf;
    const { rejection, evict } = options;
    const now = iso(options.now);
    const key = versionKey(versionOf);
    const names: Record<string, string> = { '#tag': rejection.tag };
    for (const [i, tag] of evict.entries()) names[`#evict${i}`] = tag;
    const evictions = evict.map((_, i) => `#rejected.#evict${i}`);
    // The map must exist before one of its entries can be set, and one update cannot both create it
    // and set an entry (overlapping paths): one write for each case, each conditioned on which it is.
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      const added = await this.#update({
        key,
        update: `SET #rejected.#tag = :rejection, #updatedAt = :now${evictions.length > 0 ? ` REMOVE ${evictions.join(', ')}` : ''}`,
        condition: hasRefusals,
        values: { ':rejection': { M: toAttributeMap(rejection) }, ':now': { S: now } },
        names,
      });
      if (added !== undefined) return fromVersionItem(added);
      // No refusals yet, perhaps no record either: create both, leaving whatever else the record holds.
      const created = await this.#update({
        key,
        update:
          'SET #rejected = :rejected, #updatedAt = :now, #repository = if_not_exists(#repository, :repository), ' +
          '#version = if_not_exists(#version, :version), #revision = if_not_exists(#revision, :zero), ' +
          '#images = if_not_exists(#images, :noImages), #createdAt = if_not_exists(#createdAt, :now)',
        condition: hasNoRefusals,
        values: {
          ':rejected': { M: { [rejection.tag]: { M: toAttributeMap(rejection) } } },
          ':now': { S: now },
          ':repository': { S: repository },
          ':version': { S: version },
          ':zero': { N: '0' },
          ':noImages': { M: {} },
        },
      });
      if (created !== undefined) return fromVersionItem(created);
    }
    throw new Error(`recordRejection ${repository}:${version}: the refusals kept changing while recording one`);
  }

  async clearRejection(key: VersionKey, refusal: { tag: string; digest: string }): Promise<void> {
    const { tag, digest } = refusal;
    await this.#update({
      key: versionKey(key),
      update: 'REMOVE #rejected.#tag',
      condition: '#rejected.#tag.#digest = :digest',
      values: { ':digest': { S: digest } },
      names: { '#tag': tag },
    });
  }

  async acquireLease(key: VersionKey, lease: LeaseRequest): Promise<VersionRecord | undefined> {
    checkLease(lease);
    const item = await this.#update({
      key: versionKey(key),
      update: 'SET #lease = :lease',
      condition: leaseIsTakeable,
      values: {
        ':lease': { M: toAttributeMap(leaseOf(lease)) },
        ':nowMs': { N: String(lease.now) },
        ':owner': { S: lease.owner },
      },
    });
    return recordOf(item);
  }

  async recordPublished(
    versionOf: VersionKey,
    options: { owner: string; published: PublishedIndex; now: EpochMs },
  ): Promise<VersionRecord | undefined> {
    const { repository, version } = versionOf;
    const { owner, published } = options;
    const key = versionKey(versionOf);
    const values = {
      ':published': { M: toAttributeMap(published) },
      ':now': { S: iso(options.now) },
      ':owner': { S: owner },
      ':publishedRevision': { N: String(published.revision) },
    };
    // DynamoDB cannot REMOVE conditionally inside one update, so there are two writes, each with the
    // full condition: one that clears an error the publish supersedes, one that keeps a newer error.
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      const cleared = await this.#update({
        key,
        update: 'SET #published = :published, #updatedAt = :now REMOVE #error',
        condition: `${leaseHeldByCaller} AND (${errorIsNotNewerThanPublished})`,
        values,
      });
      if (cleared !== undefined) return fromVersionItem(cleared);
      const kept = await this.#update({
        key,
        update: 'SET #published = :published, #updatedAt = :now',
        condition: `${leaseHeldByCaller} AND ${errorIsNewerThanPublished}`,
        values,
      });
      if (kept !== undefined) return fromVersionItem(kept);
      // Both failed: the lease is gone, or the error changed between the two writes.
      const current = await this.getVersion(versionOf);
      if (current?.lease?.owner !== owner) return undefined;
    }
    throw new Error(`recordPublished ${repository}:${version}: the error kept changing while recording the publish`);
  }

  async completePublish(versionOf: VersionKey, options: CompletePublishOptions): Promise<VersionRecord | undefined> {
    const { owner, published, now, release, announcement, history } = options;
    const values: Record<string, AttributeValue> = {
      ':published': { M: toAttributeMap(published) },
      ':now': { S: iso(now) },
      ':owner': { S: owner },
      ':publishedRevision': { N: String(published.revision) },
    };
    let update = 'SET #published = :published, #updatedAt = :now';
    let condition = `${leaseHeldByCaller} AND ${publishedRevisionIsCurrent} AND (${errorIsNotNewerThanPublished})`;
    if (announcement !== undefined) {
      Object.assign(values, claimValues(announcement));
      update += ', #announcement = :announcement';
      condition += ` AND ${announcementIsClaimable}`;
    }
    if (history !== undefined) {
      checkCount(history.expectedSequence, 'expectedSequence');
      update += `, ${settingHistory(history, values).join(', ')}`;
      condition += ` AND ${historySequenceIsExpected(history.expectedSequence)}`;
    }
    const item = await this.#update({
      key: versionKey(versionOf),
      update: `${update} REMOVE ${release ? '#lease, ' : ''}#error`,
      condition,
      values,
    });
    return recordOf(item);
  }

  async recordError(key: VersionKey, options: { error: VersionError; owner?: string; now: EpochMs }): Promise<VersionRecord | undefined> {
    const { error, owner } = options;
    const values: Record<string, AttributeValue> = { ':error': { M: toAttributeMap(error) }, ':now': { S: iso(options.now) } };
    if (owner === undefined) values[':errorRevision'] = { N: String(error.revision) };
    else values[':owner'] = { S: owner };
    const item = await this.#update({
      key: versionKey(key),
      update: 'SET #error = :error, #updatedAt = :now',
      condition: owner === undefined ? revisionIsErrorRevision : leaseHeldByCaller,
      values,
    });
    return recordOf(item);
  }

  async releaseLease(
    key: VersionKey,
    options: { owner: string; expectedRevision: number },
  ): Promise<'released' | 'revision-moved' | 'not-held'> {
    const { repository, version } = key;
    const { owner, expectedRevision } = options;
    checkCount(expectedRevision, 'expectedRevision');
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      const released = await this.#update({
        key: versionKey(key),
        update: 'REMOVE #lease',
        condition: `${leaseHeldByCaller} AND ${revisionIsExpected}`,
        values: { ':owner': { S: owner }, ':expectedRevision': { N: String(expectedRevision) } },
      });
      if (released !== undefined) return 'released';
      // The condition does not say which half failed; the record does.
      const current = await this.getVersion(key);
      if (current?.lease?.owner !== owner) return 'not-held';
      if (current.revision !== expectedRevision) return 'revision-moved';
    }
    throw new Error(`releaseLease ${repository}:${version}: the lease kept changing hands while releasing it`);
  }

  async rememberPublishedTag({ repository, tag, digest }: TaggedDigest): Promise<void> {
    await this.#update({ key: tagKey(repository, tag), update: 'ADD #digests :digest', values: { ':digest': { SS: [digest] } } });
  }

  async isPublishedTag({ repository, tag, digest }: TaggedDigest): Promise<boolean> {
    const item = await this.#get(tagKey(repository, tag));
    return item?.digests?.SS?.includes(digest) ?? false;
  }

  async claimAnnouncement(key: VersionKey, announcement: AnnouncementClaim): Promise<boolean> {
    const item = await this.#update({
      key: versionKey(key),
      update: 'SET #announcement = :announcement',
      condition: `${recordExists} AND ${announcementIsClaimable}`,
      values: claimValues(announcement),
    });
    return item !== undefined;
  }

  async settleAnnouncement(key: VersionKey, { id, how }: { id: string; how: 'sent' | 'retry' }): Promise<boolean> {
    const item = await this.#update({
      key: versionKey(key),
      update: how === 'sent' ? 'SET #announcement.#state = :sent REMOVE #announcement.#event' : 'SET #announcement.#until = :expired',
      condition: announcementIsId,
      values: how === 'sent' ? { ':id': { S: id }, ':sent': { S: 'sent' } } : { ':id': { S: id }, ':expired': { N: '0' } },
    });
    return item !== undefined;
  }

  async claimFloatingTag(repository: string, pointer: FloatingPointer): Promise<FloatingClaim> {
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      try {
        await this.#client.send(
          new PutItemCommand({
            TableName: this.#tableName,
            Item: toFloatingItem(repository, pointer),
            ConditionExpression: pointerIsNotHigher,
            ExpressionAttributeNames: { '#pk': 'pk', '#rank': 'rank' },
            ExpressionAttributeValues: { ':rank': { S: pointer.rank } },
          }),
        );
        return { kind: 'claimed' };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      // Read, not ReturnValuesOnConditionCheckFailure: dynalite does not return the item. Pointers
      // only move forward, so what is read now ranks at least as high as what refused the write.
      const higher = await this.getFloatingTag(repository, pointer.tag);
      if (higher !== undefined && higher.rank > pointer.rank) return { kind: 'higher', pointer: higher };
    }
    throw new Error(`claimFloatingTag ${repository}:${pointer.tag}: the pointer kept changing while claiming it`);
  }

  async getFloatingTag(repository: string, tag: string): Promise<FloatingPointer | undefined> {
    const item = await this.#get(floatingKey(repository, tag));
    return item === undefined ? undefined : fromFloatingItem(item);
  }

  async listFloatingTags(repository: string): Promise<FloatingPointer[]> {
    return (await this.#queryAll(repositoryPartition(repository), FLOATING_PREFIX)).map(fromFloatingItem);
  }

  async getCheckpoint(name: string): Promise<string | undefined> {
    return (await this.#get(checkpointKey(name)))?.value?.S;
  }

  async putCheckpoint(name: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.#client.send(new DeleteItemCommand({ TableName: this.#tableName, Key: checkpointKey(name) }));
      return;
    }
    await this.#client.send(new PutItemCommand({ TableName: this.#tableName, Item: { ...checkpointKey(name), value: { S: value } } }));
  }

  async getHistory(key: VersionKey): Promise<VersionHistory> {
    // Both items in one request: a record written before the history moved onto it keeps its
    // history in the separate item until the next append moves it over.
    const items = await this.#batchGet([versionKey(key), historyKey(key)]);
    const find = (wanted: Key) => items.find((item) => item.sk?.S === wanted.sk?.S);
    return historyOf(find(versionKey(key)), find(historyKey(key)));
  }

  async putHistory(key: VersionKey, write: HistoryWrite): Promise<boolean> {
    checkCount(write.expectedSequence, 'expectedSequence');
    // On the version record, where its writes append too (updateImages, completePublish): one
    // conditional write (compare-and-set on the sequence), so two writers can never both win and
    // none can lose the other's entry.
    const values: Record<string, AttributeValue> = {};
    const sets = settingHistory(write, values);
    const written = await this.#update({
      key: versionKey(key),
      update: `SET ${sets.join(', ')}`,
      condition: `${recordExists} AND ${historySequenceIsExpected(write.expectedSequence)}`,
      values,
    });
    if (written !== undefined) return true;
    if ((await this.#get(versionKey(key))) !== undefined) return false;
    return this.#putSeparateHistory(key, write);
  }

  /** A history without a record (notes only): the separate item, as before the history moved onto the record. */
  async #putSeparateHistory(key: VersionKey, { history, expectedSequence }: HistoryWrite): Promise<boolean> {
    const sequenceIsExpected = expectedSequence === 0 ? 'attribute_not_exists(#pk)' : '#sequence = :expectedSequence';
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: { ...toAttributeMap({ sequence: history.sequence, entries: history.entries }), ...historyKey(key) },
          ConditionExpression: sequenceIsExpected,
          ExpressionAttributeNames: expectedSequence === 0 ? { '#pk': 'pk' } : { '#sequence': 'sequence' },
          ...(expectedSequence === 0 ? {} : { ExpressionAttributeValues: { ':expectedSequence': { N: String(expectedSequence) } } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async #createVersion(key: VersionKey, change: ImagesChange, options: UpdateImagesOptions): Promise<VersionRecord | undefined> {
    const { lease, history } = options;
    const now = iso(options.now);
    const record: VersionRecord = {
      repository: key.repository,
      version: key.version,
      revision: 1,
      // Nothing to remove from a record that does not exist yet.
      images: imagesSetBy(change),
      ...(lease === undefined ? {} : { lease: leaseOf(lease) }),
      createdAt: now,
      updatedAt: now,
    };
    const item = toVersionItem(record);
    // A record that does not exist has no history on it; its separate item's sequence was read.
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            ...item,
            ...(history === undefined ? {} : historyAttributes(history.history)),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) return this.#replaceRefusalsOnlyRecord(key, change, options);
      throw error;
    }
    return fromVersionItem(item);
  }

  /** Every item of a partition (only sort keys starting with `skPrefix`, when given), page after page. */
  #queryAll(pk: string, skPrefix?: string): Promise<Item[]> {
    return queryPartition(this.#client, this.#tableName, pk, skPrefix);
  }

  /** expectedRevision 0 on a record that exists: allowed when it holds only refusals (revision 0), which it keeps. */
  async #replaceRefusalsOnlyRecord(
    versionOf: VersionKey,
    change: ImagesChange,
    options: UpdateImagesOptions,
  ): Promise<VersionRecord | undefined> {
    const { lease, history } = options;
    const key = versionKey(versionOf);
    const existing = await this.#get(key);
    if (existing?.revision?.N !== '0') return undefined;
    const names: Record<string, string> = {};
    const removes = clearing(change, names);
    const values: Record<string, AttributeValue> = {
      ':one': { N: '1' },
      ':zero': { N: '0' },
      ':images': { M: toAttributeMap(imagesSetBy(change)) },
      ':now': { S: iso(options.now) },
      ...(lease === undefined ? {} : { ':lease': { M: toAttributeMap(leaseOf(lease)) } }),
    };
    const historySets = history === undefined ? [] : settingHistory(history, values);
    let condition = lease === undefined ? onlyRefusalsRecorded : `${onlyRefusalsRecorded} AND ${noLease}`;
    if (history !== undefined) condition += ` AND ${historySequenceIsExpected(history.expectedSequence)}`;
    const item = await this.#update({
      key,
      update: `SET ${['#revision = :one', '#images = :images', '#updatedAt = :now', ...(lease === undefined ? [] : ['#lease = :lease']), ...historySets].join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      condition,
      values,
      names,
    });
    return recordOf(item);
  }

  /** The items that exist among `keys` (consistent reads), in no particular order. */
  async #batchGet(keys: Key[]): Promise<Item[]> {
    const items: Item[] = [];
    let pending: Key[] = keys;
    // UnprocessedKeys comes back when DynamoDB throttles part of a batch: ask again for those.
    for (let round = 0; pending.length > 0; round++) {
      if (round >= 5) throw new Error(`BatchGetItem on ${this.#tableName}: ${pending.length} keys left unprocessed after ${round} rounds`);
      const { Responses, UnprocessedKeys } = await this.#client.send(
        new BatchGetItemCommand({ RequestItems: { [this.#tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(Responses?.[this.#tableName] ?? []));
      pending = (UnprocessedKeys?.[this.#tableName]?.Keys ?? []) as Key[];
    }
    return items;
  }

  async #get(key: Key): Promise<Item | undefined> {
    const { Item } = await this.#client.send(new GetItemCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }));
    return Item;
  }

  /** An UpdateItem returning the new item, or undefined when its condition failed. */
  async #update(request: UpdateRequest): Promise<Item | undefined> {
    const expressions = `${request.update} ${request.condition ?? ''}`;
    // DynamoDB rejects names and values that an expression does not use, so send only those used.
    const names = { ...pickUsed(ATTRIBUTE_NAMES, expressions), ...request.names };
    try {
      const { Attributes } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: request.key,
          UpdateExpression: request.update,
          ConditionExpression: request.condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: request.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ?? {};
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }
}

/** The images a change sets, by key (a record that does not exist yet, or holds only refusals, has nothing to remove). */
function imagesSetBy(change: ImagesChange): Record<string, RecordedImage> {
  return Object.fromEntries(change.set.map((image) => [image.key, image]));
}

/** The values of a claim's write and condition (claimAnnouncement, and completePublish with an announcement). */
function claimValues({ claim, now }: AnnouncementClaim): Record<string, AttributeValue> {
  checkCount(now, 'now');
  return {
    ':announcement': { M: toAttributeMap(claim) },
    ':order': { N: String(claim.order) },
    ':id': { S: claim.id },
    ':pending': { S: 'pending' },
    ':nowMs': { N: String(now) },
  };
}

/** The record an item holds (undefined: no item, or a write whose condition failed). */
function recordOf(item: Item | undefined): VersionRecord | undefined {
  return item === undefined ? undefined : fromVersionItem(item);
}

/** How the store writes an instant of the ports as a record's timestamp (`createdAt`, `updatedAt`). */
function iso(now: EpochMs): string {
  return new Date(now).toISOString();
}

/** The lease a {@link LeaseRequest} takes, as the record holds it. */
function leaseOf(lease: LeaseRequest): { owner: string; until: number } {
  return { owner: lease.owner, until: lease.now + lease.leaseMs };
}

function fromHistoryItem(item: Item): VersionHistory {
  const { sequence, entries } = fromAttributeMap(item);
  return { sequence: Number(sequence), entries: (entries ?? []) as unknown as VersionHistory['entries'] };
}

/** A version's history: on its record when there, else in the separate item a record written before that keeps (else none). */
function historyOf(recordItem: Item | undefined, separateItem: Item | undefined): VersionHistory {
  const onRecord = recordItem === undefined ? undefined : historyOfVersionItem(recordItem);
  if (onRecord !== undefined) return onRecord;
  return separateItem === undefined ? EMPTY_HISTORY : fromHistoryItem(separateItem);
}

/** A history as the version item's attributes. */
function historyAttributes(history: VersionHistory): Item {
  return {
    [HISTORY_ATTRIBUTE]: { L: toAttributeMap({ entries: history.entries }).entries?.L ?? [] },
    [HISTORY_SEQUENCE_ATTRIBUTE]: { N: String(history.sequence) },
  };
}

/** The SET clauses that write `write.history` on the version item, their values added to `values`. */
function settingHistory(write: HistoryWrite, values: Record<string, AttributeValue>): string[] {
  const attributes = historyAttributes(write.history);
  Object.assign(values, { ':history': attributes[HISTORY_ATTRIBUTE], ':historySequence': attributes[HISTORY_SEQUENCE_ATTRIBUTE] });
  if (write.expectedSequence > 0) values[':expectedHistorySequence'] = { N: String(write.expectedSequence) };
  return ['#history = :history', '#historySequence = :historySequence'];
}

/** The REMOVE paths of a change's clearError and clearRejected, their names added to `names`. */
function clearing(change: ImagesChange, names: Record<string, string>): string[] {
  const removes: string[] = [];
  if (change.clearError === true) {
    names['#error'] = 'error';
    removes.push('#error');
  }
  (change.clearRejected ?? []).forEach((tag, i) => {
    names['#rejected'] = 'rejected';
    names[`#clearRejected${i}`] = tag;
    removes.push(`#rejected.#clearRejected${i}`);
  });
  return removes;
}

function pickUsed(names: Readonly<Record<string, string>>, expressions: string): Record<string, string> {
  const used = new Set(expressions.match(/#\w+/g) ?? []);
  return Object.fromEntries(Object.entries(names).filter(([placeholder]) => used.has(placeholder)));
}
