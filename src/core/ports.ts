import type { Descriptor, RawManifest } from './descriptor.ts';
import type { Metrics } from './metrics.ts';
import type { RepositoryConfig } from './repository-config.ts';
import type { VersionHistory } from './version-history.ts';
import type { PublishedIndex, RecordedImage, VersionError, VersionRecord } from './version-record.ts';

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
}

/**
 * Durable state: repository configs and version records. Every write is a single-item conditional
 * write (no transactions: dynalite has none), so each method states its condition.
 */
export interface VersionStore {
  getRepositoryConfig(repository: string): Promise<RepositoryConfig | undefined>;
  putRepositoryConfig(repository: string, config: RepositoryConfig): Promise<void>;
  /** False when there was no config. */
  deleteRepositoryConfig(repository: string): Promise<boolean>;
  listRepositoryConfigs(): Promise<Array<{ repository: string; config: RepositoryConfig }>>;

  getVersion(repository: string, version: string): Promise<VersionRecord | undefined>;
  /** Versions in version order, `limit` at most per page; `cursor` from the previous page. */
  listVersions(repository: string, options: { limit: number; cursor?: string | undefined }): Promise<VersionPage>;

  /**
   * Applies a change to the images and increments `revision`, only if the record's revision is still
   * `expectedRevision` (0: the record must not exist yet; it is created). Returns the new record, or
   * undefined when someone else wrote first (read again and retry).
   */
  updateImages(repository: string, version: string, change: ImagesChange, expectedRevision: number, now: string): Promise<VersionRecord | undefined>;

  /**
   * Takes the publish lease if nobody holds it, it has expired (`until` < `nowMs`), or `owner` holds it
   * already (renewal). Returns the record as it stands with the lease, or undefined when another
   * owner holds a live lease.
   */
  acquireLease(repository: string, version: string, owner: string, nowMs: number, leaseMs: number): Promise<VersionRecord | undefined>;
  /**
   * Records a publish, only while `owner` holds the lease; clears an error of that revision or older.
   * Returns the record, or undefined when the lease was lost.
   */
  recordPublished(repository: string, version: string, owner: string, published: PublishedIndex, now: string): Promise<VersionRecord | undefined>;
  /**
   * Records a failure or a conflict for the revision it applies to. With `owner`, only while that
   * owner holds the lease; without, only while the revision is still `error.revision`.
   */
  recordError(repository: string, version: string, error: VersionError, owner: string | undefined, now: string): Promise<VersionRecord | undefined>;
  /**
   * Gives the lease up, only if `owner` holds it and the revision is still `expectedRevision`.
   * 'revision-moved': images changed meanwhile, the lease is kept (publish again); 'not-held': it was lost.
   */
  releaseLease(repository: string, version: string, owner: string, expectedRevision: number): Promise<'released' | 'revision-moved' | 'not-held'>;

  /** Remembers that manifest-assembler itself put `digest` under `tag`, before it does. */
  rememberPublishedTag(repository: string, tag: string, digest: string): Promise<void>;
  /** Whether manifest-assembler itself put `digest` under `tag`. */
  isPublishedTag(repository: string, tag: string, digest: string): Promise<boolean>;

  /** A named resume point (the reconciler's cursor per repository); undefined when none was saved. */
  getCheckpoint(name: string): Promise<string | undefined>;
  /** Saves a resume point; null removes it. Last writer wins: checkpoints are hints, not state. */
  putCheckpoint(name: string, value: string | null): Promise<void>;

  /** A version's history; `{ sequence: 0, entries: [] }` when nothing was recorded. */
  getHistory(repository: string, version: string): Promise<VersionHistory>;
  /**
   * Replaces a version's history, only if its `sequence` is still `expectedSequence` (0: none may
   * exist yet). False when another writer appended first (read again and retry).
   */
  putHistory(repository: string, version: string, history: VersionHistory, expectedSequence: number): Promise<boolean>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
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
  /** A unique id for a publisher (lease owner). */
  readonly newId: () => string;
  /** Where outcomes and timings are counted; absent: not measured. */
  readonly metrics?: Metrics;
}
