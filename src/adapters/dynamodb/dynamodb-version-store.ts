import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ImagesChange, PushContext, UpdateImagesOptions, VersionKey, VersionStore } from '../../core/ports.ts';
import type { RepositoryConfig } from '../../core/repository-config.ts';
import type { VersionRecord } from '../../core/version-record.ts';
import { checkCount, checkImagesChange, checkLease } from '../../core/version-store-input.ts';
import { toAttributeMap } from './dynamodb-codec.ts';
import { isConditionFailed } from './dynamodb-condition.ts';
import {
  configKey,
  fromConfigItem,
  fromVersionItem,
  HISTORY_ATTRIBUTE,
  HISTORY_SEQUENCE_ATTRIBUTE,
  historyAttributes,
  historyKey,
  historyOf,
  type Item,
  type Key,
  LEGACY_REMEMBERED_DIGESTS_ATTRIBUTE,
  REMEMBERED_DIGESTS_ATTRIBUTE,
  recordOf,
  rememberedDigestsOf,
  tagKey,
  toVersionItem,
  versionKey,
} from './dynamodb-version-items.ts';
import type { OnDemandMethods } from './dynamodb-version-store-on-demand.ts';
import {
  allAndOneOf,
  clearing,
  historySequenceIsExpected,
  imagesSetBy,
  iso,
  leaseOf,
  noLease,
  revisionIsExpected,
  settingHistory,
  type UpdateRequest,
} from './dynamodb-version-writes.ts';

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
  '#digests': LEGACY_REMEMBERED_DIGESTS_ATTRIBUTE,
  '#recent': REMEMBERED_DIGESTS_ATTRIBUTE,
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

/**
 * The methods a push never calls, or calls only on a rare path (a refused push, a conflict, another
 * tool's push under a target tag): they live in
 * dynamodb-version-store-on-demand.ts, imported on the first call to one of them, so that a cold
 * start of the on-image-push function does not load them (docs/performance.md, "Lambda bundles").
 */
const ON_DEMAND = [
  'recordRejection',
  'clearRejection',
  'recordError',
  'rememberPublishedTag',
  'putRepositoryConfig',
  'deleteRepositoryConfig',
  'listRepositoryConfigs',
  'listVersions',
  'acquireLease',
  'recordPublished',
  'completePublish',
  'releaseLease',
  'isPublishedTag',
  'claimAnnouncement',
  'settleAnnouncement',
  'claimFloatingTag',
  'getFloatingTag',
  'listFloatingTags',
  'getCheckpoint',
  'putCheckpoint',
  'getHistory',
  'putHistory',
] as const satisfies ReadonlyArray<keyof VersionStore>;
export type OnDemandMethod = (typeof ON_DEMAND)[number];

/**
 * The {@link VersionStore} on DynamoDB: one table, single-item conditional writes only (dynalite,
 * the local DynamoDB, has no transactions), the same code on AWS and locally. A failed condition
 * (`ConditionalCheckFailedException`) becomes the port's return value; other errors pass through.
 */
export class DynamoDbVersionStore implements VersionStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  #onDemandMethods: OnDemandMethods | undefined;

  declare recordRejection: VersionStore['recordRejection'];
  declare clearRejection: VersionStore['clearRejection'];
  declare recordError: VersionStore['recordError'];
  declare rememberPublishedTag: VersionStore['rememberPublishedTag'];
  declare putRepositoryConfig: VersionStore['putRepositoryConfig'];
  declare deleteRepositoryConfig: VersionStore['deleteRepositoryConfig'];
  declare listRepositoryConfigs: VersionStore['listRepositoryConfigs'];
  declare listVersions: VersionStore['listVersions'];
  declare acquireLease: VersionStore['acquireLease'];
  declare recordPublished: VersionStore['recordPublished'];
  declare completePublish: VersionStore['completePublish'];
  declare releaseLease: VersionStore['releaseLease'];
  declare isPublishedTag: VersionStore['isPublishedTag'];
  declare claimAnnouncement: VersionStore['claimAnnouncement'];
  declare settleAnnouncement: VersionStore['settleAnnouncement'];
  declare claimFloatingTag: VersionStore['claimFloatingTag'];
  declare getFloatingTag: VersionStore['getFloatingTag'];
  declare listFloatingTags: VersionStore['listFloatingTags'];
  declare getCheckpoint: VersionStore['getCheckpoint'];
  declare putCheckpoint: VersionStore['putCheckpoint'];
  declare getHistory: VersionStore['getHistory'];
  declare putHistory: VersionStore['putHistory'];

  static {
    // Each on-demand method, as a method of the class (on the prototype, not enumerable), calls its
    // implementation in dynamodb-version-store-on-demand.ts.
    for (const name of ON_DEMAND) {
      Object.defineProperty(DynamoDbVersionStore.prototype, name, {
        configurable: true,
        writable: true,
        async value(this: DynamoDbVersionStore, ...args: unknown[]) {
          const methods = await this.#onDemand();
          return (methods[name] as (...a: unknown[]) => Promise<unknown>)(...args);
        },
      });
    }
  }

  constructor(options: DynamoDbVersionStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async getRepositoryConfig(repository: string): Promise<RepositoryConfig | undefined> {
    const item = await this.#get(configKey(repository));
    return item === undefined ? undefined : fromConfigItem(item).config;
  }

  async getVersion(key: VersionKey): Promise<VersionRecord | undefined> {
    const item = await this.#get(versionKey(key));
    return recordOf(item);
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
      publishedByUs: rememberedDigestsOf(find(tagKey(repository, options.tag))).includes(options.digest),
      history: historyOf(recordItem, find(historyKey(key))),
      rememberedTargetTags: new Set(targetTags.filter((t) => rememberedDigestsOf(find(tagKey(repository, t))).length > 0)),
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
    const clauses = lease === undefined ? [revisionIsExpected] : [revisionIsExpected, noLease];
    if (history !== undefined) sets.push(...settingHistory(history, values));
    const condition =
      history === undefined ? clauses.join(' AND ') : allAndOneOf(clauses, historySequenceIsExpected(history.expectedSequence));
    const update = `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`;
    const item = await this.#update({ key: versionKey(key), update, condition, values, names });
    return recordOf(item);
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
      if (!isConditionFailed(error)) throw error;
      // The record exists: it may be replaced only if it holds refusals alone (revision 0), which a
      // refused push wrote (recordRejection, on demand too); else another push created it first.
      if ((await this.#get(versionKey(key)))?.revision?.N !== '0') return undefined;
      return (await this.#onDemand()).replaceRefusalsOnlyRecord(key, change, options);
    }
    return fromVersionItem(item);
  }

  /** The on-demand methods, their module imported on the first call to one of them. */
  async #onDemand(): Promise<OnDemandMethods> {
    if (this.#onDemandMethods === undefined) {
      const { onDemandMethods } = await import('./dynamodb-version-store-on-demand.ts');
      this.#onDemandMethods ??= onDemandMethods({
        client: this.#client,
        tableName: this.#tableName,
        store: this,
        get: (key) => this.#get(key),
        update: (request) => this.#update(request),
        batchGet: (keys) => this.#batchGet(keys),
      });
    }
    return this.#onDemandMethods;
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

function pickUsed(names: Readonly<Record<string, string>>, expressions: string): Record<string, string> {
  const used = new Set(expressions.match(/#\w+/g) ?? []);
  return Object.fromEntries(Object.entries(names).filter(([placeholder]) => used.has(placeholder)));
}
