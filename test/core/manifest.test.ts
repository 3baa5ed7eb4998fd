import { describe, expect, it } from 'vitest';
import type { RawManifest } from '../../src/core/descriptor.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { UnsupportedManifestError } from '../../src/core/errors.ts';
import { parseManifest } from '../../src/core/manifest.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { digestOf } from './fixtures.ts';

function raw(body: unknown, mediaType: string): RawManifest {
  const bytes = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  return { mediaType, digest: computeDigest(bytes), size: bytes.byteLength, bytes };
}

const config = { mediaType: MediaTypes.ociConfig, digest: digestOf('config'), size: 123 };
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf('layer'), size: 4567 };
const ociManifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [layer] };
const child = {
  mediaType: MediaTypes.ociManifest,
  digest: digestOf('child'),
  size: 400,
  platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
};

describe('parseManifest', () => {
  describe('accepts', () => {
    const cases: Array<{ name: string; input: RawManifest; want: { kind: 'image' | 'index'; mediaType: string } }> = [
      {
        name: 'an OCI image manifest',
        input: raw(ociManifest, MediaTypes.ociManifest),
        want: { kind: 'image', mediaType: MediaTypes.ociManifest },
      },
      {
        name: 'a Docker v2 manifest',
        input: raw(
          { ...ociManifest, mediaType: MediaTypes.dockerManifest, config: { ...config, mediaType: MediaTypes.dockerConfig } },
          MediaTypes.dockerManifest,
        ),
        want: { kind: 'image', mediaType: MediaTypes.dockerManifest },
      },
      {
        name: 'an OCI index',
        input: raw({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [child] }, MediaTypes.ociIndex),
        want: { kind: 'index', mediaType: MediaTypes.ociIndex },
      },
      {
        name: 'a Docker manifest list',
        input: raw(
          { schemaVersion: 2, mediaType: MediaTypes.dockerManifestList, manifests: [{ ...child, mediaType: MediaTypes.dockerManifest }] },
          MediaTypes.dockerManifestList,
        ),
        want: { kind: 'index', mediaType: MediaTypes.dockerManifestList },
      },
      {
        name: 'an OCI manifest without mediaType, served as one',
        input: raw({ schemaVersion: 2, config, layers: [] }, MediaTypes.ociManifest),
        want: { kind: 'image', mediaType: MediaTypes.ociManifest },
      },
      {
        name: 'an index without mediaType, served as application/json (inferred from manifests)',
        input: raw({ schemaVersion: 2, manifests: [] }, 'application/json'),
        want: { kind: 'index', mediaType: MediaTypes.ociIndex },
      },
      {
        name: 'a manifest without mediaType, served without a usable type (inferred from config)',
        input: raw({ schemaVersion: 2, config }, ''),
        want: { kind: 'image', mediaType: MediaTypes.ociManifest },
      },
      {
        name: 'a body mediaType when the registry served a generic type',
        input: raw(ociManifest, 'application/octet-stream'),
        want: { kind: 'image', mediaType: MediaTypes.ociManifest },
      },
    ];
    for (const { name, input, want } of cases) {
      it(name, () => {
        const parsed = parseManifest(input);
        expect(parsed.kind).toBe(want.kind);
        expect(parsed.mediaType).toBe(want.mediaType);
        // The raw bytes travel unchanged; only the media type is the resolved one.
        expect(parsed.raw).toEqual({ ...input, mediaType: want.mediaType });
      });
    }
  });

  it('reads descriptors with platform, annotations and artifactType', () => {
    const attestation = {
      mediaType: MediaTypes.ociManifest,
      digest: digestOf('att'),
      size: 839,
      artifactType: 'application/vnd.in-toto+json',
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': child.digest },
      platform: { architecture: 'unknown', os: 'unknown' },
    };
    const parsed = parseManifest(
      raw({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [child, attestation] }, MediaTypes.ociIndex),
    );
    expect(parsed.kind === 'index' && parsed.manifests).toEqual([
      { mediaType: child.mediaType, digest: child.digest, size: 400, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { ...attestation, platform: { os: 'unknown', architecture: 'unknown' } },
    ]);
  });

  it('reads an image manifest config and layers', () => {
    const parsed = parseManifest(raw(ociManifest, MediaTypes.ociManifest));
    expect(parsed.kind === 'image' && { config: parsed.config, layers: parsed.layers }).toEqual({ config, layers: [layer] });
  });

  describe('refuses', () => {
    const cases: Array<{ name: string; input: RawManifest; wantErr: RegExp }> = [
      { name: 'bytes that are not JSON', input: raw('{"schemaVersion": 2,', MediaTypes.ociManifest), wantErr: /is not JSON/ },
      {
        name: 'bytes that are not UTF-8',
        input: { ...raw('{}', MediaTypes.ociManifest), bytes: new Uint8Array([0x7b, 0xff, 0x7d]) },
        wantErr: /is not JSON/,
      },
      { name: 'a JSON array', input: raw([], MediaTypes.ociManifest), wantErr: /is not a JSON object/ },
      {
        name: 'schema 1 by body',
        input: raw({ schemaVersion: 1, name: 'hello', tag: '1', fsLayers: [] }, 'application/json'),
        wantErr: /Docker schema 1 manifest, which is deprecated and cannot be part of an index; push the image again/,
      },
      { name: 'schema 1 by media type', input: raw({ schemaVersion: 2 }, MediaTypes.dockerSchema1Signed), wantErr: /Docker schema 1/ },
      {
        name: 'schemaVersion 3',
        input: raw({ ...ociManifest, schemaVersion: 3 }, MediaTypes.ociManifest),
        wantErr: /schemaVersion 3; only 2 is supported/,
      },
      {
        name: 'no schemaVersion',
        input: raw({ mediaType: MediaTypes.ociManifest, config }, MediaTypes.ociManifest),
        wantErr: /schemaVersion undefined/,
      },
      {
        name: 'Content-Type and body disagreeing',
        input: raw({ schemaVersion: 2, mediaType: MediaTypes.dockerManifestList, manifests: [] }, MediaTypes.ociIndex),
        wantErr:
          /says mediaType application\/vnd.docker.distribution.manifest.list.v2\+json but was served as application\/vnd.oci.image.index.v1\+json/,
      },
      {
        name: 'an artifact media type',
        input: raw({ schemaVersion: 2, mediaType: 'application/vnd.example+json', config }, 'application/vnd.example+json'),
        wantErr: /has media type application\/vnd.example\+json, which is neither/,
      },
      {
        name: 'a body with nothing to infer from',
        input: raw({ schemaVersion: 2 }, 'application/json'),
        wantErr: /has media type \(none\)/,
      },
      {
        name: 'an index without manifests',
        input: raw({ schemaVersion: 2, mediaType: MediaTypes.ociIndex }, MediaTypes.ociIndex),
        wantErr: /manifests is not an array/,
      },
      {
        name: 'an image without config',
        input: raw({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, layers: [] }, MediaTypes.ociManifest),
        wantErr: /config is not a descriptor/,
      },
      {
        name: 'layers not an array',
        input: raw({ ...ociManifest, layers: {} }, MediaTypes.ociManifest),
        wantErr: /layers is not an array/,
      },
      {
        name: 'a child without mediaType',
        input: raw({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ ...child, mediaType: '' }] }, MediaTypes.ociIndex),
        wantErr: /manifests\[0\].mediaType is missing/,
      },
      {
        name: 'a child with a sha512 digest',
        input: raw(
          { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ ...child, digest: `sha512:${'a'.repeat(128)}` }] },
          MediaTypes.ociIndex,
        ),
        wantErr: /manifests\[0\].digest "sha512:a+" is not a sha256 digest/,
      },
      {
        name: 'a child with a negative size',
        input: raw({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [child, { ...child, size: -1 }] }, MediaTypes.ociIndex),
        wantErr: /manifests\[1\].size -1 is not a byte count/,
      },
      {
        name: 'a child with a fractional size',
        input: raw({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ ...child, size: 1.5 }] }, MediaTypes.ociIndex),
        wantErr: /size 1.5 is not a byte count/,
      },
      {
        name: 'a child with a string size',
        input: raw({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ ...child, size: '400' }] }, MediaTypes.ociIndex),
        wantErr: /size "400" is not a byte count/,
      },
      {
        name: 'a config with a bad digest',
        input: raw({ ...ociManifest, config: { ...config, digest: 'sha256:xyz' } }, MediaTypes.ociManifest),
        wantErr: /config.digest "sha256:xyz"/,
      },
    ];
    for (const { name, input, wantErr } of cases) {
      it(name, () => {
        expect(() => parseManifest(input)).toThrow(UnsupportedManifestError);
        expect(() => parseManifest(input)).toThrow(wantErr);
        expect(() => parseManifest(input)).toThrow(input.digest);
      });
    }
  });
});
