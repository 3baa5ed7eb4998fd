import type { RawManifest } from '../../core/descriptor.ts';
import { ErrorCodes, RegistryError, UnsupportedManifestError } from '../../core/errors.ts';

// PutImage's `imageManifest` is limited to 4,194,304 characters (API reference), not bytes.
const MAX_MANIFEST_CHARACTERS = 4_194_304;

/** The exact bytes as the string PutImage wants; bytes that are not UTF-8 would change on the way. */
export function decodeManifest(manifest: RawManifest, repository: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(manifest.bytes);
  } catch (error) {
    throw new RegistryError(
      ErrorCodes.invalidInput,
      `manifest ${manifest.digest} for ${repository} is not UTF-8, ECR cannot store it unchanged`,
      { cause: error },
    );
  }
  if (text.length > MAX_MANIFEST_CHARACTERS) {
    throw new RegistryError(
      ErrorCodes.tooLarge,
      `manifest ${manifest.digest} for ${repository} has ${text.length} characters, ECR accepts at most ${MAX_MANIFEST_CHARACTERS}`,
      {
        details: { repository, digest: manifest.digest, size: manifest.size },
      },
    );
  }
  return text;
}

/** ECR reports the stored media type; older images and some tools leave it out, and then the JSON says. */
export function mediaTypeOf(reported: string | undefined, manifest: string, repository: string, digest: string): string {
  if (reported !== undefined && reported !== '') return reported;
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifest);
  } catch {
    throw new UnsupportedManifestError(`manifest ${repository}@${digest} is not JSON`, { repository, digest });
  }
  const mediaType = typeof parsed === 'object' && parsed !== null ? (parsed as { mediaType?: unknown }).mediaType : undefined;
  if (typeof mediaType !== 'string' || mediaType === '') {
    throw new UnsupportedManifestError(`manifest ${repository}@${digest} has no media type, neither from ECR nor in its JSON`, {
      repository,
      digest,
    });
  }
  return mediaType;
}
