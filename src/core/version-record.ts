import type { Descriptor } from './descriptor.ts';
import type { Platform } from './platform.ts';

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
