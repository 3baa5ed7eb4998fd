import type { Descriptor } from './descriptor.ts';
import type { Platform } from './platform.ts';
import type { VersionEvent } from './version-events.ts';

/**
 * One per-arch image recorded for a version: the manifest the index will reference, byte-exact.
 * `tag` is the per-arch tag it came from and `sourceDigest` what that tag pointed to (the image
 * itself, or the index buildx pushed around it).
 */
export interface RecordedImage {
  /** `formatPlatform(platform)`: the key of this image in the version's record. */
  readonly key: string;
  readonly platform: Platform;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly tag: string;
  readonly sourceDigest: string;
  readonly pushedAt: string;
  /** Attestation manifests (BuildKit provenance, SBOM) describing this image, exactly as pushed. */
  readonly attestations: readonly Descriptor[];
  /**
   * The image config's `org.opencontainers.image.*` labels (bounded), which the index may inherit as
   * annotations. Absent when there are none, and on images recorded before labels were read.
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** The image config's `created` time (RFC 3339); absent when it has none, and on older records. */
  readonly created?: string;
}

export interface PublishedIndex {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly tags: readonly string[];
  readonly at: string;
  /** The record revision whose images the index was built from. */
  readonly revision: number;
  /** Required platforms that were missing when it was published (allowPartial / onStale publish-partial). */
  readonly missingPlatforms?: readonly string[];
  /**
   * Target tags another tool rewrote with a manifest built on this index (a SOCI-enabled index, a
   * signature with this index as subject): left as they are, each with a note saying what holds it.
   */
  readonly heldBy?: readonly TagHeldBy[];
}

/** A target tag that holds another tool's manifest built on the published index. */
export interface TagHeldBy {
  readonly tag: string;
  readonly digest: string;
  readonly note: string;
}

export interface PublishLease {
  readonly owner: string;
  /** Epoch milliseconds after which another publisher may take over. */
  readonly until: number;
}

export const ErrorKinds = { failed: 'failed', conflict: 'conflict' } as const;
export type ErrorKind = (typeof ErrorKinds)[keyof typeof ErrorKinds];

export interface VersionError {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly at: string;
  /** The record revision the error applies to; a newer revision gets a fresh attempt. */
  readonly revision: number;
  /**
   * For two per-arch tags claiming one platform: the push that was refused. Such a conflict holds
   * across revisions (another platform arriving must not publish past it) until that tag no longer
   * points to that digest; the next publish then clears it.
   */
  readonly contested?: { readonly tag: string; readonly digest: string };
}

export const AnnouncementStates = { pending: 'pending', sent: 'sent' } as const;
export type AnnouncementState = (typeof AnnouncementStates)[keyof typeof AnnouncementStates];

/**
 * The claim on announcing one outcome of a version. Claimed `pending` with the exact event before it
 * is sent, so a sender that dies or fails leaves it for another (the reconciler) to send again, with
 * the same id; `sent` once the destination took it.
 */
export interface Announcement {
  /** The event's id: the same outcome of the same version always gets the same id. */
  readonly id: string;
  /** The record revision the outcome belongs to. */
  readonly revision: number;
  /** Where the outcome stands among all of the version's outcomes ({@link announcementOrder}); a lower one never replaces a higher one. */
  readonly order: number;
  readonly state: AnnouncementState;
  /** Epoch milliseconds after which a `pending` claim may be taken over (its sender died or gave up). */
  readonly until: number;
  /** What is sent; dropped once it is `sent`. */
  readonly event?: VersionEvent;
}

/**
 * A per-arch push that was read and refused (no architecture in its config, a digest mismatch,
 * Docker schema 1, too large…): kept on the version so its status shows why an image is missing.
 */
export interface PushRejection {
  readonly tag: string;
  readonly digest: string;
  readonly reason: string;
  readonly at: string;
}

/**
 * Everything known about one version of one repository. `revision` grows by one with every change
 * to `images` (0 while only refusals are recorded); writers compare-and-set on it, which is what keeps concurrent pushes from losing
 * each other's images without transactions.
 */
export interface VersionRecord {
  readonly repository: string;
  readonly version: string;
  readonly revision: number;
  readonly images: Readonly<Record<string, RecordedImage>>;
  readonly published?: PublishedIndex;
  readonly lease?: PublishLease;
  readonly error?: VersionError;
  /** The last outcome announced (or being announced) for this version; see announce-outcome.ts. */
  readonly announcement?: Announcement;
  /**
   * Refused pushes by per-arch tag, the latest refusal of each (a bounded few tags). A record whose
   * only pushes were refused has revision 0 and no images. An accepted push of a tag removes its entry.
   */
  readonly rejected?: Readonly<Record<string, PushRejection>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const VersionStates = {
  waiting: 'waiting',
  /** Waiting for longer than the repository's `staleAfter`. */
  stale: 'stale',
  publishing: 'publishing',
  published: 'published',
  failed: 'failed',
  conflict: 'conflict',
} as const;
export type VersionState = (typeof VersionStates)[keyof typeof VersionStates];
