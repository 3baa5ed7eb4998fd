import type { Descriptor, RawManifest } from './descriptor.ts';
import type { FloatingPointer } from './floating-pointer.ts';
import type { Metrics } from './metrics.ts';
import type { RecentPuts } from './recent-puts.ts';
import type { RepositoryConfig } from './repository-config.ts';
import type { VersionEvent } from './version-events.ts';
import type { VersionHistory } from './version-history.ts';
import type { Announcement, PublishedIndex, PushRejection, RecordedImage, VersionError, VersionRecord } from './version-record.ts';

/**
 * The registry the images live in: ECR through its API, or any OCI distribution registry over HTTP.
 * Implementations verify every fetched byte against its digest, cap sizes, and throw
 * {@link RegistryError}s (from errors.ts) with `retryable` set, never vendor errors.
 */
export interface ImageRegistry {
  /** Fetches a manifest or index by digest, asking for every manifest and index media type. */
  fetchManifest(repository: string, digest: string): Promise<RawManifest>;
  /** Fetches a blob (an image config) named by a descriptor, verified against its digest, at most `maxBytes`. */
  fetchBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array>;
  /** The digest a tag points to now, or undefined when the tag does not exist. */
  resolveTag(repository: string, tag: string): Promise<string | undefined>;
  /** Puts a manifest or index under a tag. Putting the same bytes under the same tag again succeeds. */
  putManifest(repository: string, tag: string, manifest: RawManifest): Promise<void>;
  /** Every tag of a repository (empty when the repository has none). */
  listTags(repository: string): Promise<string[]>;
}

export interface VersionPage {
  readonly versions: VersionRecord[];
  readonly cursor: string | null;
}

/** The change a push makes to a version's images: entries to set (by key) and keys to remove. */
export interface ImagesChange {
  readonly set: readonly RecordedImage[];
  readonly remove: readonly string[];
  /** Remove the version's error in the same write (the push settles the conflict it records). */
  readonly clearError?: boolean;
  /** Tags whose refusal to remove in the same write (their new push was accepted). */
  readonly clearRejected?: readonly string[];
}

/** A digest under a tag of a repository (what {@link PublishedTags.rememberPublishedTag} remembers putting). */
export interface TaggedDigest {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

/** Names one version of one repository in the store (a {@link VersionRecord} is one). */
export interface VersionKey {
  readonly repository: string;
  readonly version: string;
}

/**
 * A version's history to write in the same write as its record: `history` replaces the one kept,
 * only if its `sequence` is still `expectedSequence` (the write fails otherwise, as when its own
 * condition fails). So a change and the history entries it implies land together, in one request.
 */
export interface HistoryWrite {
  readonly history: VersionHistory;
  readonly expectedSequence: number;
}

/** A publish lease to take (or renew): `owner` holds it until `now + leaseMs`. */
export interface LeaseRequest {
  readonly owner: string;
  readonly now: EpochMs;
  readonly leaseMs: number;
}

/**
 * An instant, in milliseconds since the epoch: the one form time takes in the ports, as the
 * {@link Clock} gives it. The store writes the record's timestamps (`createdAt`, `updatedAt`) as the
 * ISO strings stored and served before; the instants on a record it compares in its conditions
 * (`lease.until`, `announcement.until`) stay numbers (docs/architecture.md, "Time").
 */
export type EpochMs = number;

/** An announcement to claim at `now` (see {@link Announcements.claimAnnouncement}). */
export interface AnnouncementClaim {
  readonly claim: Announcement;
  readonly now: EpochMs;
}

/** The publish lease to give up in the same write as something else: `owner`'s, while the revision is still `expectedRevision`. */
export interface LeaseRelease {
  readonly owner: string;
  readonly expectedRevision: number;
}

/** How {@link Announcements.settleAnnouncement} settles the claim `id`, and the lease it may give up with it. */
export interface AnnouncementSettlement {
  readonly id: string;
  /** `sent`: delivered; `retry`: handed back to the next caller (the reconciler). */
  readonly how: 'sent' | 'retry';
  /** Give the publish lease up in the same write, only as {@link PublishWrites.releaseLease} would release it. */
  readonly release?: LeaseRelease;
}

/** What {@link PushWrites.readForPush} read. */
export interface PushContext {
  readonly record: VersionRecord | undefined;
  /** The records of the target versions asked for that exist. */
  readonly targets: ReadonlyMap<string, VersionRecord>;
  /** Whether manifest-assembler put the pushed digest under the pushed tag itself. */
  readonly publishedByUs: boolean;
  /** The version's history as it stood (so appending to it needs no second read). */
  readonly history: VersionHistory;
  /** The `targetTags` asked for under which a digest was remembered (so something was put there before). */
  readonly rememberedTargetTags: ReadonlySet<string>;
}

/** What claiming a floating tag gave: it is ours now, or it points to a version that ranks higher. */
export type FloatingClaim = { readonly kind: 'claimed' } | { readonly kind: 'higher'; readonly pointer: FloatingPointer };

/** How {@link PushWrites.updateImages} writes a change: its condition, its time, and what goes with it. */
export interface UpdateImagesOptions {
  readonly expectedRevision: number;
  readonly now: EpochMs;
  readonly lease?: LeaseRequest;
  readonly history?: HistoryWrite;
}

/** What {@link PublishWrites.completePublish} writes with the publish, in the same conditional write. */
export interface CompletePublishOptions {
  readonly owner: string;
  readonly published: PublishedIndex;
  readonly now: EpochMs;
  /** Release the lease in the same write. */
  readonly release: boolean;
  readonly announcement?: AnnouncementClaim;
  readonly history?: HistoryWrite;
}

/**
 * Durable state: repository configs and version records, one role per part of it (below), which a use
 * case names when it needs only some of them. Every write is a single-item conditional
 * write (no transactions: dynalite has none), so each method states its condition.
 */
export interface VersionStore
  extends RepositoryConfigs,
    VersionReads,
    VersionHistories,
    PushWrites,
    PublishWrites,
    VersionErrors,
    PublishedTags,
    Announcements,
    FloatingTagPointers,
    Checkpoints {}

/** Each repository's configuration: the API writes it, every event reads it. */
export interface RepositoryConfigs {
  getRepositoryConfig(repository: string): Promise<RepositoryConfig | undefined>;
  putRepositoryConfig(repository: string, config: RepositoryConfig): Promise<void>;
  /** False when there was no config. */
  deleteRepositoryConfig(repository: string): Promise<boolean>;
  listRepositoryConfigs(): Promise<Array<{ repository: string; config: RepositoryConfig }>>;
}

/** The version records as they stand. */
export interface VersionReads {
  getVersion(key: VersionKey): Promise<VersionRecord | undefined>;
  /** Versions in version order, `limit` at most per page; `cursor` from the previous page. */
  listVersions(repository: string, options: { limit: number; cursor?: string | undefined }): Promise<VersionPage>;
}

/** What recording a push reads and writes: its one read, the images, the refusals. */
export interface PushWrites {
  /**
   * What recording a push of `tag` needs, in one read: the version's record, the records of the
   * `targetVersions` (versions whose target tag `tag` could be), and whether manifest-assembler put
   * `digest` under `tag` itself ({@link PublishedTags.rememberPublishedTag}), and which of the version's
   * `targetTags` have any digest remembered.
   */
  readForPush(
    key: VersionKey,
    options: { tag: string; digest: string; targetVersions: readonly string[]; targetTags?: readonly string[] },
  ): Promise<PushContext>;
  /**
   * Applies a change to the images and increments `revision`, only if the record's revision is still
   * `expectedRevision` (0: the record must not exist yet, or hold only refusals; it is created). With
   * `lease`, the same write takes the publish lease, only if nobody holds one (a lease someone holds,
   * even expired, fails the write: {@link PublishWrites.acquireLease} takes that over). Returns the new record, or
   * undefined when the condition failed (read again and retry). With `history`, the same write
   * replaces the version's history too, only if its sequence is still the expected one.
   */
  updateImages(key: VersionKey, change: ImagesChange, options: UpdateImagesOptions): Promise<VersionRecord | undefined>;
  /**
   * Sets the refusal of `rejection.tag` and removes the refusals of the `evict` tags, in one write
   * that creates the record (revision 0, no images) when there is none; images, revision, lease and
   * error stay as they are. Returns the record. (A record of revision 0 counts as absent for
   * `updateImages` with expectedRevision 0, which keeps its refusals.)
   */
  recordRejection(key: VersionKey, options: { rejection: PushRejection; evict: readonly string[]; now: EpochMs }): Promise<VersionRecord>;
  /** Removes the refusal of `tag`, only while it is the refusal of `digest` (a newer refusal stays). */
  clearRejection(key: VersionKey, refusal: { tag: string; digest: string }): Promise<void>;
}

/** What publishing a version writes: the lease and the publish. */
export interface PublishWrites {
  /**
   * Takes the publish lease if nobody holds it, it has expired (`until` < `now`), or `owner` holds it
   * already (renewal). Returns the record as it stands with the lease, or undefined when another
   * owner holds a live lease.
   */
  acquireLease(key: VersionKey, lease: LeaseRequest): Promise<VersionRecord | undefined>;
  /**
   * Records a publish, only while `owner` holds the lease; clears an error of that revision or older.
   * Returns the record, or undefined when the lease was lost.
   */
  recordPublished(key: VersionKey, options: { owner: string; published: PublishedIndex; now: EpochMs }): Promise<VersionRecord | undefined>;
  /**
   * Records a publish in one write, only while `owner` holds the lease and the revision is still
   * `published.revision` (an error of that revision or older is cleared); with `release`, gives the
   * lease up in the same write; with `announcement`, claims it there too, only if
   * {@link Announcements.claimAnnouncement} would; with `history`, replaces the version's history there too, only if
   * its sequence is still the expected one. Returns the record, or undefined when any of that does not
   * hold: the caller then takes the long way ({@link recordPublished}, a claim, {@link releaseLease}).
   */
  completePublish(key: VersionKey, options: CompletePublishOptions): Promise<VersionRecord | undefined>;
  /**
   * Gives the lease up, only if `owner` holds it and the revision is still `expectedRevision`.
   * 'revision-moved': images changed meanwhile, the lease is kept (publish again); 'not-held': it was lost.
   */
  releaseLease(key: VersionKey, options: { owner: string; expectedRevision: number }): Promise<'released' | 'revision-moved' | 'not-held'>;
}

/** Each version's history (also written inside the push's and the publish's writes, see {@link HistoryWrite}). */
export interface VersionHistories {
  /** A version's history; `{ sequence: 0, entries: [] }` when nothing was recorded. */
  getHistory(key: VersionKey): Promise<VersionHistory>;
  /**
   * Replaces a version's history, only if its `sequence` is still `expectedSequence` (0: none may
   * exist yet). False when another writer appended first (read again and retry).
   */
  putHistory(key: VersionKey, write: HistoryWrite): Promise<boolean>;
}

/** A failure or a conflict recorded on a version (by a publish, a push that conflicts, the reconciler). */
export interface VersionErrors {
  /**
   * Records a failure or a conflict for the revision it applies to. With `owner`, only while that
   * owner holds the lease; without, only while the revision is still `error.revision`.
   */
  recordError(key: VersionKey, options: { error: VersionError; owner?: string; now: EpochMs }): Promise<VersionRecord | undefined>;
}

/** The index puts manifest-assembler made itself, so that their push events are known as its own. */
export interface PublishedTags {
  /**
   * Remembers that manifest-assembler itself put `digest` under `tag`, before it does. A store may
   * forget the oldest of a tag's digests, keeping at least the last 50 (a tag republished on every
   * CI run must not grow without bound). An echo comes long before 50 more puts; a push of a
   * forgotten digest under a version's target tag is still ignored, as that version's index.
   */
  rememberPublishedTag(put: TaggedDigest): Promise<void>;
  /** Whether manifest-assembler itself put `digest` under `tag` (among the digests remembered). */
  isPublishedTag(put: TaggedDigest): Promise<boolean>;
}

/** The announcing of each outcome, claimed and settled on the version record. */
export interface Announcements {
  /**
   * Claims the announcing of an outcome: stores `claim` (state `pending`) on the version record,
   * only if the record exists and its last announcement has a lower or equal `order` and is either
   * another outcome, or this one left `pending` by a sender whose claim has expired (`until` < `now`).
   * False when the outcome is announced already, being announced, or older than the last one.
   */
  claimAnnouncement(key: VersionKey, announcement: AnnouncementClaim): Promise<boolean>;
  /**
   * Settles a claim, only if the record's announcement is still `id`: `sent` marks it delivered (and
   * drops the stored event); `retry` keeps it pending but expired, so the next caller sends it again.
   * With `release`, gives the publish lease up in the same write, only if `release.owner` holds it and
   * the revision is still `release.expectedRevision`. False when any of that does not hold (nothing
   * is written): the caller then settles alone and releases the lease with {@link PublishWrites.releaseLease}.
   */
  settleAnnouncement(key: VersionKey, settle: AnnouncementSettlement): Promise<boolean>;
}

/** Where each floating tag points; a pointer only moves forward. */
export interface FloatingTagPointers {
  /**
   * Points floating tag `pointer.tag` at `pointer`, only if the tag has no pointer yet or its pointer's
   * `rank` is lower than or equal to `pointer.rank` (so it only moves forward; an equal rank, a republish
   * of the same revision, moves it along). Otherwise gives the pointer that ranks higher.
   */
  claimFloatingTag(repository: string, pointer: FloatingPointer): Promise<FloatingClaim>;
  /** Where a floating tag points; undefined when no version has claimed it. */
  getFloatingTag(repository: string, tag: string): Promise<FloatingPointer | undefined>;
  /** Every floating tag pointer of a repository, in tag order (one read of the repository's items). */
  listFloatingTags(repository: string): Promise<FloatingPointer[]>;
}

/** Named resume points (the reconciler's cursor per repository). */
export interface Checkpoints {
  /** A named resume point (the reconciler's cursor per repository); undefined when none was saved. */
  getCheckpoint(name: string): Promise<string | undefined>;
  /** Saves a resume point; null removes it. Last writer wins: checkpoints are hints, not state. */
  putCheckpoint(name: string, value: string | null): Promise<void>;
}

/**
 * Where outcome events go: EventBridge on AWS, the local runner's signed webhook deliveries locally.
 * `announce` resolves once the destination has taken the event (durably); it throws, with
 * `retryable` set, when it did not. The same event may be announced twice: it keeps its id.
 */
export interface VersionEvents {
  announce(event: VersionEvent): Promise<void>;
  /**
   * False when events only go to the log (no destination configured): announcing cannot fail then,
   * so a publish claims its announcement as sent in the write that records it. Absent: true.
   */
  readonly delivers?: boolean;
}

export interface Clock {
  now(): EpochMs;
  sleep(ms: number): Promise<void>;
}

export type LogFields = Record<string, unknown>;

/** Structured logging; one line per call. Never pass secrets. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** What the use cases need, built once by the composition root. */
export interface Dependencies {
  readonly registry: ImageRegistry;
  readonly store: VersionStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where outcome events are announced. */
  readonly events: VersionEvents;
  /** A unique id for a publisher (lease owner). */
  readonly newId: () => string;
  /** Where outcomes and timings are counted; absent: not measured. */
  readonly metrics?: Metrics;
  /** The index puts this process made lately; absent: every push event of ours is checked in the store. */
  readonly recentPuts?: RecentPuts;
  /**
   * How long a registry may take, after sending a push event, to show the tag at the pushed digest:
   * distribution notifies before it writes the tag. Absent (ECR, which notifies after the push): one look.
   */
  readonly tagSettle?: { readonly waitMs: number; readonly pollMs: number };
}

/**
 * What a use case that needs only part of {@link Dependencies} takes: the store's roles it calls and
 * the other dependencies it names (the composition root's `Dependencies` is one of them all).
 */
export type UseCaseDependencies<Store, Keys extends Exclude<keyof Dependencies, 'store'> = never> = {
  readonly store: Store;
} & Pick<Dependencies, Keys>;
