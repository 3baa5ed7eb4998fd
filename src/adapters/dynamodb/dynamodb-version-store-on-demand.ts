import { type AttributeValue, DeleteItemCommand, type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { FloatingPointer } from '../../core/floating-pointer.ts';
import type {
  AnnouncementClaim,
  AnnouncementSettlement,
  CompletePublishOptions,
  EpochMs,
  FloatingClaim,
  HistoryWrite,
  ImagesChange,
  LeaseRequest,
  TaggedDigest,
  UpdateImagesOptions,
  VersionKey,
  VersionPage,
  VersionStore,
} from '../../core/ports.ts';
import type { RepositoryConfig } from '../../core/repository-config.ts';
import type { VersionHistory } from '../../core/version-history.ts';
import type { PublishedIndex, PushRejection, VersionError, VersionRecord } from '../../core/version-record.ts';
import { checkCount, checkLease, checkLimit } from '../../core/version-store-input.ts';
import { toAttributeMap } from './dynamodb-codec.ts';
import {
  checkpointKey,
  decodeCursor,
  encodeCursor,
  FLOATING_PREFIX,
  floatingKey,
  fromFloatingItem,
  toFloatingItem,
} from './dynamodb-on-demand-items.ts';
import { isConditionFailed, queryPartition } from './dynamodb-partition.ts';
import {
  configKey,
  configsPartition,
  fromConfigItem,
  fromVersionItem,
  historyKey,
  historyOf,
  type Item,
  type Key,
  REMEMBERED_DIGESTS,
  REMEMBERED_DIGESTS_ATTRIBUTE,
  recordOf,
  rememberedDigestsOf,
  repositoryPartition,
  tagKey,
  toConfigItem,
  VERSION_PREFIX,
  versionKey,
} from './dynamodb-version-items.ts';
import type { OnDemandMethod } from './dynamodb-version-store.ts';
import {
  allAndOneOf,
  clearing,
  eitherOf,
  historySequenceIsExpected,
  imagesSetBy,
  iso,
  leaseOf,
  noLease,
  revisionIsExpected,
  settingHistory,
  type UpdateRequest,
} from './dynamodb-version-writes.ts';

// The DynamoDbVersionStore methods a push never calls (the publish path's, the API's, the
// reconciler's), imported by the store on the first call to one of them: a cold start of the
// on-image-push function would otherwise read and compile them before the first event
// (docs/performance.md, "Lambda bundles"). What this module shares with the store's module (the
// item layout, the write helpers, the SDK) the build puts in the one chunk a cold start loads
// anyway (scripts/fold-start-chunks.mjs), so importing it here adds no file at start.

/** What the on-demand methods reach of the store: its client, its private requests, itself. */
export interface StoreAccess {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly store: VersionStore;
  get(key: Key): Promise<Item | undefined>;
  update(request: UpdateRequest): Promise<Item | undefined>;
  batchGet(keys: Key[]): Promise<Item[]>;
}

// Condition clauses only these methods write, named for what they mean (the ports.ts contract states each one).
const onlyRefusalsRecorded = '#revision = :zero';
const recordExists = 'attribute_exists(#pk)';
const leaseHeldByCaller = '#lease.#owner = :owner';
const revisionIsErrorRevision = '#revision = :errorRevision';
const hasRefusals = 'attribute_exists(#rejected)';
const hasNoRefusals = 'attribute_not_exists(#rejected)';
const leaseExpired = '#lease.#until < :nowMs';
const leaseIsTakeable = `${recordExists} AND (${noLease} OR ${leaseExpired} OR ${leaseHeldByCaller})`;
const errorIsNotNewerThanPublished = 'attribute_not_exists(#error) OR #error.#revision <= :publishedRevision';
const errorIsNewerThanPublished = '#error.#revision > :publishedRevision';
const nothingAnnounced = 'attribute_not_exists(#announcement)';
const announcedNoHigher = '#announcement.#order <= :order';
const announcedOtherOutcome = '#announcement.#id <> :id';
const announcementAbandoned = '#announcement.#state = :pending AND #announcement.#until < :nowMs';
// Nothing announced, or announced no higher and (another outcome, or abandoned), written out with one
// level of parentheses (AND binds tighter than OR): dynalite's condition parser backtracks
// exponentially in their nesting (this clause nested three deep cost 18.6 ms of its CPU per publish,
// flat 1.1 ms: docs/performance.md). DynamoDB reads both the same.
const announcementIsClaimable = `(${nothingAnnounced} OR ${announcedNoHigher} AND ${announcedOtherOutcome} OR ${announcedNoHigher} AND ${announcementAbandoned})`;
const announcementIsId = '#announcement.#id = :id';
const publishedRevisionIsCurrent = '#revision = :publishedRevision';
// Ranks are fixed-width strings ordered like the versions they stand for (floating-pointer.ts).
const pointerIsNotHigher = 'attribute_not_exists(#pk) OR #rank <= :rank';

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

/** How often a two-step write (recordRejection, recordPublished, releaseLease...) re-reads after racing another writer. */
const MAX_RACE_RETRIES = 3;

/** The store's methods loaded on demand, and the rare half of updateImages. */
export class OnDemandMethods implements Pick<VersionStore, OnDemandMethod> {
  readonly #k: StoreAccess;

  constructor(access: StoreAccess) {
    this.#k = access;
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
      const added = await this.#k.update({
        key,
        update: `SET #rejected.#tag = :rejection, #updatedAt = :now${evictions.length > 0 ? ` REMOVE ${evictions.join(', ')}` : ''}`,
        condition: hasRefusals,
        values: { ':rejection': { M: toAttributeMap(rejection) }, ':now': { S: now } },
        names,
      });
      if (added !== undefined) return fromVersionItem(added);
      // No refusals yet, perhaps no record either: create both, leaving whatever else the record holds.
      const created = await this.#k.update({
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
    await this.#k.update({
      key: versionKey(key),
      update: 'REMOVE #rejected.#tag',
      condition: '#rejected.#tag.#digest = :digest',
      values: { ':digest': { S: digest } },
      names: { '#tag': tag },
    });
  }

  async recordError(key: VersionKey, options: { error: VersionError; owner?: string; now: EpochMs }): Promise<VersionRecord | undefined> {
    const { error, owner } = options;
    const values: Record<string, AttributeValue> = { ':error': { M: toAttributeMap(error) }, ':now': { S: iso(options.now) } };
    if (owner === undefined) values[':errorRevision'] = { N: String(error.revision) };
    else values[':owner'] = { S: owner };
    const item = await this.#k.update({
      key: versionKey(key),
      update: 'SET #error = :error, #updatedAt = :now',
      condition: owner === undefined ? revisionIsErrorRevision : leaseHeldByCaller,
      values,
    });
    return recordOf(item);
  }

  async rememberPublishedTag({ repository, tag, digest }: TaggedDigest): Promise<void> {
    const key = tagKey(repository, tag);
    // Appended once (a retried publish remembers nothing twice): the condition fails when it is there.
    const item = await this.#k.update({
      key,
      update: 'SET #recent = list_append(if_not_exists(#recent, :none), :appended)',
      condition: 'attribute_not_exists(#recent) OR NOT contains(#recent, :digest)',
      values: { ':none': { L: [] }, ':appended': { L: [{ S: digest }] }, ':digest': { S: digest } },
    });
    const recent = item?.[REMEMBERED_DIGESTS_ATTRIBUTE]?.L ?? [];
    if (recent.length <= 2 * REMEMBERED_DIGESTS) return;
    // Cut back to the newest, in one write every REMEMBERED_DIGESTS puts, only if the list is still the
    // one just read (appended to only, and never twice with one digest: its length and last element
    // say so; else the next append cuts); the older set of items written before goes with the first
    // cut. The newest are written whole: `REMOVE l[0], l[1]` removes both in DynamoDB, but one after
    // the other (the second the third element) in dynalite.
    await this.#k.update({
      key,
      update: 'SET #recent = :kept REMOVE #digests',
      condition: `size(#recent) = :length AND #recent[${recent.length - 1}] = :last`,
      values: {
        ':kept': { L: recent.slice(-REMEMBERED_DIGESTS) },
        ':length': { N: String(recent.length) },
        ':last': recent[recent.length - 1] as AttributeValue,
      },
    });
  }

  /**
   * updateImages with expectedRevision 0 on a record that exists and holds only refusals (revision
   * 0, which the caller read): the record is written as if created, keeping its refusals.
   */
  async replaceRefusalsOnlyRecord(
    versionOf: VersionKey,
    change: ImagesChange,
    options: UpdateImagesOptions,
  ): Promise<VersionRecord | undefined> {
    const { lease, history } = options;
    const key = versionKey(versionOf);
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
    const clauses = lease === undefined ? [onlyRefusalsRecorded] : [onlyRefusalsRecorded, noLease];
    const condition =
      history === undefined ? clauses.join(' AND ') : allAndOneOf(clauses, historySequenceIsExpected(history.expectedSequence));
    const item = await this.#k.update({
      key,
      update: `SET ${['#revision = :one', '#images = :images', '#updatedAt = :now', ...(lease === undefined ? [] : ['#lease = :lease']), ...historySets].join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      condition,
      values,
      names,
    });
    return recordOf(item);
  }

  async putRepositoryConfig(repository: string, config: RepositoryConfig): Promise<void> {
    await this.#k.client.send(new PutItemCommand({ TableName: this.#k.tableName, Item: toConfigItem(repository, config) }));
  }

  async deleteRepositoryConfig(repository: string): Promise<boolean> {
    const { Attributes } = await this.#k.client.send(
      new DeleteItemCommand({ TableName: this.#k.tableName, Key: configKey(repository), ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  async listRepositoryConfigs(): Promise<Array<{ repository: string; config: RepositoryConfig }>> {
    return (await queryPartition(this.#k.client, this.#k.tableName, configsPartition())).map(fromConfigItem);
  }

  async listVersions(repository: string, options: { limit: number; cursor?: string | undefined }): Promise<VersionPage> {
    checkLimit(options.limit);
    const startKey = options.cursor === undefined ? undefined : decodeCursor(options.cursor, repository);
    // One more than asked: whether it comes back says if there is a next page, so the last page
    // says `cursor: null` instead of leading the caller to an empty one.
    const result = await this.#k.client.send(
      new QueryCommand({
        TableName: this.#k.tableName,
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

  async acquireLease(key: VersionKey, lease: LeaseRequest): Promise<VersionRecord | undefined> {
    checkLease(lease);
    const item = await this.#k.update({
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
      const cleared = await this.#k.update({
        key,
        update: 'SET #published = :published, #updatedAt = :now REMOVE #error',
        condition: `${leaseHeldByCaller} AND (${errorIsNotNewerThanPublished})`,
        values,
      });
      if (cleared !== undefined) return fromVersionItem(cleared);
      const kept = await this.#k.update({
        key,
        update: 'SET #published = :published, #updatedAt = :now',
        condition: `${leaseHeldByCaller} AND ${errorIsNewerThanPublished}`,
        values,
      });
      if (kept !== undefined) return fromVersionItem(kept);
      // Both failed: the lease is gone, or the error changed between the two writes.
      const current = await this.#k.store.getVersion(versionOf);
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
      condition += ` AND ${eitherOf(historySequenceIsExpected(history.expectedSequence))}`;
    }
    const item = await this.#k.update({
      key: versionKey(versionOf),
      update: `${update} REMOVE ${release ? '#lease, ' : ''}#error`,
      condition,
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
      const released = await this.#k.update({
        key: versionKey(key),
        update: 'REMOVE #lease',
        condition: `${leaseHeldByCaller} AND ${revisionIsExpected}`,
        values: { ':owner': { S: owner }, ':expectedRevision': { N: String(expectedRevision) } },
      });
      if (released !== undefined) return 'released';
      // The condition does not say which half failed; the record does.
      const current = await this.#k.store.getVersion(key);
      if (current?.lease?.owner !== owner) return 'not-held';
      if (current.revision !== expectedRevision) return 'revision-moved';
    }
    throw new Error(`releaseLease ${repository}:${version}: the lease kept changing hands while releasing it`);
  }

  async isPublishedTag({ repository, tag, digest }: TaggedDigest): Promise<boolean> {
    return rememberedDigestsOf(await this.#k.get(tagKey(repository, tag))).includes(digest);
  }

  async claimAnnouncement(key: VersionKey, announcement: AnnouncementClaim): Promise<boolean> {
    const item = await this.#k.update({
      key: versionKey(key),
      update: 'SET #announcement = :announcement',
      condition: `${recordExists} AND ${announcementIsClaimable}`,
      values: claimValues(announcement),
    });
    return item !== undefined;
  }

  async settleAnnouncement(key: VersionKey, { id, how, release }: AnnouncementSettlement): Promise<boolean> {
    const values: Record<string, AttributeValue> =
      how === 'sent' ? { ':id': { S: id }, ':sent': { S: 'sent' } } : { ':id': { S: id }, ':expired': { N: '0' } };
    const removes = how === 'sent' ? ['#announcement.#event'] : [];
    let condition = announcementIsId;
    if (release !== undefined) {
      checkCount(release.expectedRevision, 'expectedRevision');
      values[':owner'] = { S: release.owner };
      values[':expectedRevision'] = { N: String(release.expectedRevision) };
      removes.push('#lease');
      condition += ` AND ${leaseHeldByCaller} AND ${revisionIsExpected}`;
    }
    const set = how === 'sent' ? 'SET #announcement.#state = :sent' : 'SET #announcement.#until = :expired';
    const item = await this.#k.update({
      key: versionKey(key),
      update: removes.length > 0 ? `${set} REMOVE ${removes.join(', ')}` : set,
      condition,
      values,
    });
    return item !== undefined;
  }

  async claimFloatingTag(repository: string, pointer: FloatingPointer): Promise<FloatingClaim> {
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      try {
        await this.#k.client.send(
          new PutItemCommand({
            TableName: this.#k.tableName,
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
    const item = await this.#k.get(floatingKey(repository, tag));
    return item === undefined ? undefined : fromFloatingItem(item);
  }

  async listFloatingTags(repository: string): Promise<FloatingPointer[]> {
    return (await queryPartition(this.#k.client, this.#k.tableName, repositoryPartition(repository), FLOATING_PREFIX)).map(
      fromFloatingItem,
    );
  }

  async getCheckpoint(name: string): Promise<string | undefined> {
    return (await this.#k.get(checkpointKey(name)))?.value?.S;
  }

  async putCheckpoint(name: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.#k.client.send(new DeleteItemCommand({ TableName: this.#k.tableName, Key: checkpointKey(name) }));
      return;
    }
    await this.#k.client.send(new PutItemCommand({ TableName: this.#k.tableName, Item: { ...checkpointKey(name), value: { S: value } } }));
  }

  async getHistory(key: VersionKey): Promise<VersionHistory> {
    // Both items in one request: a record written before the history moved onto it keeps its
    // history in the separate item until the next append moves it over.
    const items = await this.#k.batchGet([versionKey(key), historyKey(key)]);
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
    const written = await this.#k.update({
      key: versionKey(key),
      update: `SET ${sets.join(', ')}`,
      condition: allAndOneOf([recordExists], historySequenceIsExpected(write.expectedSequence)),
      values,
    });
    if (written !== undefined) return true;
    if ((await this.#k.get(versionKey(key))) !== undefined) return false;
    return this.#putSeparateHistory(key, write);
  }

  /** A history without a record (notes only): the separate item, as before the history moved onto the record. */
  async #putSeparateHistory(key: VersionKey, { history, expectedSequence }: HistoryWrite): Promise<boolean> {
    const sequenceIsExpected = expectedSequence === 0 ? 'attribute_not_exists(#pk)' : '#sequence = :expectedSequence';
    try {
      await this.#k.client.send(
        new PutItemCommand({
          TableName: this.#k.tableName,
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
}

/** The store's on-demand methods, bound to `access`. */
export function onDemandMethods(access: StoreAccess): OnDemandMethods {
  return new OnDemandMethods(access);
}
