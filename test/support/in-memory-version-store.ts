import { InvalidInputError } from '../../src/core/errors.ts';
import type { FloatingPointer } from '../../src/core/floating-pointer.ts';
import type {
  AnnouncementClaim,
  AnnouncementSettlement,
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
} from '../../src/core/ports.ts';
import type { RepositoryConfig } from '../../src/core/repository-config.ts';
import { EMPTY_HISTORY, type VersionHistory } from '../../src/core/version-history.ts';
import type {
  Announcement,
  PublishedIndex,
  PushRejection,
  RecordedImage,
  VersionError,
  VersionRecord,
} from '../../src/core/version-record.ts';
import { checkCount, checkImagesChange, checkLease, checkLimit } from '../../src/core/version-store-input.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The {@link VersionStore} in memory, for unit tests of the use cases. Same conditions, same return
 * values and same revision handling as DynamoDbVersionStore: test/adapters/version-store.contract.ts
 * runs against both. Every value goes in and comes out as a deep copy shaped the way DynamoDB gives
 * it back (JSON data, `undefined` properties left out), so callers cannot reach into the state.
 */
export class InMemoryVersionStore implements VersionStore {
  readonly #configs = new Map<string, RepositoryConfig>();
  readonly #checkpoints = new Map<string, string>();
  readonly #versions = new Map<string, Map<string, Mutable<VersionRecord>>>();
  readonly #publishedTags = new Map<string, Set<string>>();
  readonly #floating = new Map<string, Map<string, FloatingPointer>>();
  readonly #histories = new Map<string, VersionHistory>();

  async getHistory({ repository, version }: VersionKey): Promise<VersionHistory> {
    return copy(this.#histories.get(JSON.stringify([repository, version])) ?? EMPTY_HISTORY);
  }

  async putHistory({ repository, version }: VersionKey, write: HistoryWrite): Promise<boolean> {
    if (!this.#historyHolds(repository, version, write)) return false;
    this.#writeHistory(repository, version, write);
    return true;
  }

  /** Whether `write` may go with a record's write: the history's sequence is still the expected one. */
  #historyHolds(repository: string, version: string, write: HistoryWrite | undefined): boolean {
    return write === undefined || (this.#histories.get(JSON.stringify([repository, version]))?.sequence ?? 0) === write.expectedSequence;
  }

  #writeHistory(repository: string, version: string, write: HistoryWrite | undefined): void {
    if (write !== undefined) this.#histories.set(JSON.stringify([repository, version]), copy(write.history));
  }

  async getRepositoryConfig(repository: string): Promise<RepositoryConfig | undefined> {
    const config = this.#configs.get(repository);
    return config === undefined ? undefined : copy(config);
  }

  async putRepositoryConfig(repository: string, config: RepositoryConfig): Promise<void> {
    this.#configs.set(repository, copy(config));
  }

  async deleteRepositoryConfig(repository: string): Promise<boolean> {
    return this.#configs.delete(repository);
  }

  async listRepositoryConfigs(): Promise<Array<{ repository: string; config: RepositoryConfig }>> {
    return [...this.#configs.keys()].sort(compareKeys).map((repository) => ({ repository, config: copy(this.#configs.get(repository)!) }));
  }

  async getVersion({ repository, version }: VersionKey): Promise<VersionRecord | undefined> {
    const record = this.#record(repository, version);
    return record === undefined ? undefined : copy(record);
  }

  async listVersions(repository: string, options: { limit: number; cursor?: string | undefined }): Promise<VersionPage> {
    checkLimit(options.limit);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, repository);
    const all = [...(this.#versions.get(repository)?.keys() ?? [])].sort(compareKeys);
    const remaining = after === undefined ? all : all.filter((version) => compareKeys(version, after) > 0);
    const page = remaining.slice(0, options.limit);
    const last = page.at(-1);
    const cursor = remaining.length > options.limit && last !== undefined ? encodeCursor(repository, last) : null;
    return { versions: page.map((version) => copy(this.#record(repository, version)!)), cursor };
  }

  async readForPush(
    key: VersionKey,
    options: { tag: string; digest: string; targetVersions: readonly string[]; targetTags?: readonly string[] },
  ): Promise<PushContext> {
    const { repository, version } = key;
    const targets = new Map<string, VersionRecord>();
    for (const target of options.targetVersions) {
      const record = target === version ? undefined : this.#record(repository, target);
      if (record !== undefined) targets.set(target, copy(record));
    }
    const record = this.#record(repository, version);
    return {
      record: record === undefined ? undefined : copy(record),
      targets,
      publishedByUs: await this.isPublishedTag({ repository, tag: options.tag, digest: options.digest }),
      history: await this.getHistory(key),
      rememberedTargetTags: new Set(
        (options.targetTags ?? []).filter(
          (t) => t !== options.tag && (this.#publishedTags.get(JSON.stringify([repository, t]))?.size ?? 0) > 0,
        ),
      ),
    };
  }

  async updateImages(key: VersionKey, change: ImagesChange, options: UpdateImagesOptions): Promise<VersionRecord | undefined> {
    const { repository, version } = key;
    const { expectedRevision, lease, history } = options;
    const now = new Date(options.now).toISOString();
    checkImagesChange(change);
    checkCount(expectedRevision, 'expectedRevision');
    if (lease !== undefined) checkLease(lease);
    if (history !== undefined) checkCount(history.expectedSequence, 'expectedSequence');
    const record = this.#record(repository, version);
    if (!this.#historyHolds(repository, version, history)) return undefined;
    // With a lease asked for, the write holds only while nobody holds one (not even an expired one).
    if (lease !== undefined && record?.lease !== undefined) return undefined;
    const newLease = lease === undefined ? undefined : { owner: lease.owner, until: lease.now + lease.leaseMs };
    if (expectedRevision === 0) {
      if (record !== undefined && record.revision !== 0) return undefined;
      // A record holding only refusals is taken over: its refusals and createdAt stay.
      const rejected = withoutTags(record?.rejected, change.clearRejected ?? []);
      const created: VersionRecord = {
        repository,
        version,
        revision: 1,
        images: Object.fromEntries(change.set.map((image) => [image.key, image])),
        ...(rejected === undefined ? {} : { rejected }),
        ...(record?.error === undefined || change.clearError === true ? {} : { error: record.error }),
        ...(record?.lease === undefined ? {} : { lease: record.lease }),
        ...(newLease === undefined ? {} : { lease: newLease }),
        createdAt: record?.createdAt ?? now,
        updatedAt: now,
      };
      this.#versionsOf(repository).set(version, copy(created));
      this.#writeHistory(repository, version, history);
      return copy(created);
    }
    if (record?.revision !== expectedRevision) return undefined;
    const images: Record<string, RecordedImage> = { ...record.images };
    for (const image of change.set) images[image.key] = copy(image);
    for (const imageKey of change.remove) delete images[imageKey];
    record.images = images;
    record.revision = expectedRevision + 1;
    record.updatedAt = now;
    if (newLease !== undefined) record.lease = newLease;
    if (change.clearError === true) delete record.error;
    if (record.rejected !== undefined) record.rejected = withoutTags(record.rejected, change.clearRejected ?? []);
    this.#writeHistory(repository, version, history);
    return copy(record);
  }

  async recordRejection(
    { repository, version }: VersionKey,
    options: { rejection: PushRejection; evict: readonly string[]; now: EpochMs },
  ): Promise<VersionRecord> {
    const { rejection, evict } = options;
    const now = new Date(options.now).toISOString();
    let record = this.#record(repository, version);
    if (record === undefined) {
      record = { repository, version, revision: 0, images: {}, createdAt: now, updatedAt: now };
      this.#versionsOf(repository).set(version, record);
    }
    record.rejected = { ...withoutTags(record.rejected, evict), [rejection.tag]: copy(rejection) };
    record.updatedAt = now;
    return copy(record);
  }

  async clearRejection({ repository, version }: VersionKey, { tag, digest }: { tag: string; digest: string }): Promise<void> {
    const record = this.#record(repository, version);
    if (record?.rejected?.[tag]?.digest === digest) record.rejected = withoutTags(record.rejected, [tag]);
  }

  async acquireLease(key: VersionKey, lease: LeaseRequest): Promise<VersionRecord | undefined> {
    const { repository, version } = key;
    const { owner, now, leaseMs } = lease;
    checkLease(lease);
    const record = this.#record(repository, version);
    if (record === undefined) return undefined;
    const takeable = record.lease === undefined || record.lease.until < now || record.lease.owner === owner;
    if (!takeable) return undefined;
    record.lease = { owner, until: now + leaseMs };
    return copy(record);
  }

  async recordPublished(
    key: VersionKey,
    options: { owner: string; published: PublishedIndex; now: EpochMs },
  ): Promise<VersionRecord | undefined> {
    const { repository, version } = key;
    const { owner, published } = options;
    const now = new Date(options.now).toISOString();
    const record = this.#record(repository, version);
    if (record?.lease?.owner !== owner) return undefined;
    record.published = copy(published);
    record.updatedAt = now;
    if (record.error !== undefined && record.error.revision <= published.revision) delete record.error;
    return copy(record);
  }

  async completePublish(key: VersionKey, options: CompletePublishOptions): Promise<VersionRecord | undefined> {
    const { owner, published, release, announcement, history } = options;
    const now = new Date(options.now).toISOString();
    const record = this.#record(key.repository, key.version);
    if (!this.#historyHolds(key.repository, key.version, history)) return undefined;
    if (record?.lease?.owner !== owner || record.revision !== published.revision) return undefined;
    if (record.error !== undefined && record.error.revision > published.revision) return undefined;
    if (announcement !== undefined && !isClaimable(record.announcement, announcement.claim, announcement.now)) return undefined;
    record.published = copy(published);
    record.updatedAt = now;
    if (release) delete record.lease;
    delete record.error;
    if (announcement !== undefined) record.announcement = copy(announcement.claim);
    this.#writeHistory(key.repository, key.version, history);
    return copy(record);
  }

  async recordError(
    { repository, version }: VersionKey,
    options: { error: VersionError; owner?: string; now: EpochMs },
  ): Promise<VersionRecord | undefined> {
    const { error, owner } = options;
    const now = new Date(options.now).toISOString();
    const record = this.#record(repository, version);
    if (record === undefined) return undefined;
    const allowed = owner === undefined ? record.revision === error.revision : record.lease?.owner === owner;
    if (!allowed) return undefined;
    record.error = copy(error);
    record.updatedAt = now;
    return copy(record);
  }

  async releaseLease(
    key: VersionKey,
    options: { owner: string; expectedRevision: number },
  ): Promise<'released' | 'revision-moved' | 'not-held'> {
    const { repository, version } = key;
    const { owner, expectedRevision } = options;
    checkCount(expectedRevision, 'expectedRevision');
    const record = this.#record(repository, version);
    if (record?.lease?.owner !== owner) return 'not-held';
    if (record.revision !== expectedRevision) return 'revision-moved';
    delete record.lease;
    return 'released';
  }

  async rememberPublishedTag({ repository, tag, digest }: TaggedDigest): Promise<void> {
    const key = JSON.stringify([repository, tag]);
    const digests = this.#publishedTags.get(key) ?? new Set<string>();
    digests.add(digest);
    this.#publishedTags.set(key, digests);
  }

  async isPublishedTag({ repository, tag, digest }: TaggedDigest): Promise<boolean> {
    return this.#publishedTags.get(JSON.stringify([repository, tag]))?.has(digest) ?? false;
  }

  async claimAnnouncement({ repository, version }: VersionKey, { claim, now }: AnnouncementClaim): Promise<boolean> {
    const record = this.#record(repository, version);
    if (record === undefined) return false;
    if (!isClaimable(record.announcement, claim, now)) return false;
    record.announcement = copy(claim);
    return true;
  }

  async settleAnnouncement({ repository, version }: VersionKey, { id, how, release }: AnnouncementSettlement): Promise<boolean> {
    if (release !== undefined) checkCount(release.expectedRevision, 'expectedRevision');
    const record = this.#record(repository, version);
    if (record?.announcement?.id !== id) return false;
    if (release !== undefined) {
      if (record.lease?.owner !== release.owner || record.revision !== release.expectedRevision) return false;
      delete record.lease;
    }
    if (how === 'sent') {
      const { event: _sent, ...rest } = record.announcement;
      record.announcement = { ...rest, state: 'sent' };
    } else {
      record.announcement = { ...record.announcement, until: 0 };
    }
    return true;
  }

  async claimFloatingTag(repository: string, pointer: FloatingPointer): Promise<FloatingClaim> {
    const pointers = this.#floating.get(repository) ?? new Map<string, FloatingPointer>();
    this.#floating.set(repository, pointers);
    const current = pointers.get(pointer.tag);
    // String comparison by code unit: ranks are ASCII, where that is DynamoDB's byte order too.
    if (current !== undefined && current.rank > pointer.rank) return { kind: 'higher', pointer: copy(current) };
    pointers.set(pointer.tag, copy(pointer));
    return { kind: 'claimed' };
  }

  async getFloatingTag(repository: string, tag: string): Promise<FloatingPointer | undefined> {
    const pointer = this.#floating.get(repository)?.get(tag);
    return pointer === undefined ? undefined : copy(pointer);
  }

  async listFloatingTags(repository: string): Promise<FloatingPointer[]> {
    const pointers = this.#floating.get(repository) ?? new Map<string, FloatingPointer>();
    return [...pointers.keys()].sort(compareKeys).map((tag) => copy(pointers.get(tag)!));
  }

  async getCheckpoint(name: string): Promise<string | undefined> {
    return this.#checkpoints.get(name);
  }

  async putCheckpoint(name: string, value: string | null): Promise<void> {
    if (value === null) this.#checkpoints.delete(name);
    else this.#checkpoints.set(name, value);
  }

  #record(repository: string, version: string): Mutable<VersionRecord> | undefined {
    return this.#versions.get(repository)?.get(version);
  }

  #versionsOf(repository: string): Map<string, Mutable<VersionRecord>> {
    const versions = this.#versions.get(repository) ?? new Map<string, Mutable<VersionRecord>>();
    this.#versions.set(repository, versions);
    return versions;
  }
}

function withoutTags<T>(map: Readonly<Record<string, T>> | undefined, tags: readonly string[]): Record<string, T> | undefined {
  if (map === undefined) return undefined;
  return Object.fromEntries(Object.entries(map).filter(([tag]) => !tags.includes(tag)));
}

/** A deep copy as DynamoDB would give it back: JSON data, properties that are `undefined` left out. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** DynamoDB orders sort keys by their UTF-8 bytes, which is not JavaScript's UTF-16 order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encodeCursor(repository: string, version: string): string {
  return Buffer.from(JSON.stringify({ repository, version })).toString('base64url');
}

function decodeCursor(cursor: string, repository: string): string {
  let parsed: { repository?: unknown; version?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (parsed?.repository !== repository || typeof parsed.version !== 'string') {
    throw new InvalidInputError(`cursor "${cursor.slice(0, 40)}" is not a cursor of ${repository}'s versions`, 'cursor');
  }
  return parsed.version;
}

/** The condition of claimAnnouncement (ports.ts). */
function isClaimable(last: Announcement | undefined, claim: Announcement, nowMs: number): boolean {
  return last === undefined || (last.order <= claim.order && (last.id !== claim.id || (last.state === 'pending' && last.until < nowMs)));
}
