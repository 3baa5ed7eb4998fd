import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Blob, type BuiltImage, buildImage, type ImageOptions } from './images.ts';

/**
 * Writes images into an OCI image layout (what `skopeo copy oci:DIR:NAME …` reads), each under the
 * reference name given. OCI media types only: skopeo's oci: transport does not see Docker ones.
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md
 */
export function writeOciLayout(
  dir: string,
  images: ReadonlyArray<{ name: string; options: Omit<ImageOptions, 'format'> }>,
): Record<string, BuiltImage> {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const write = (b: Blob) => writeFileSync(join(blobs, b.digest.slice('sha256:'.length)), b.bytes);
  const built: Record<string, BuiltImage> = {};
  const manifests = images.map(({ name, options }) => {
    const image = buildImage({ ...options, format: 'oci' });
    [image.layer, image.config, image].forEach(write);
    built[name] = image;
    return {
      mediaType: image.mediaType,
      digest: image.digest,
      size: image.size,
      annotations: { 'org.opencontainers.image.ref.name': name },
    };
  });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }, null, 2),
  );
  return built;
}
