import type { Platform } from './platform.ts';

/**
 * A content descriptor as it appears in an index.
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md
 */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  /** Byte length of the exact content (Buffer.byteLength, never string.length). */
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly artifactType?: string;
}

/** Manifest bytes exactly as the registry stores them, with the digest and media type that name them. */
export interface RawManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly bytes: Uint8Array;
}

const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** Only sha256 digests are accepted: they are what every registry and ECR compute. */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}
