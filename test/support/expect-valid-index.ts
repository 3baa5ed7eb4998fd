import { expect } from 'vitest';
import type { RawManifest } from '../../src/core/descriptor.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { Annotations, isIndexMediaType, MediaTypes } from '../../src/core/media-types.ts';

interface ChildJson {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  platform?: { os?: unknown; architecture?: unknown; variant?: unknown; 'os.version'?: unknown; features?: unknown };
  annotations?: Record<string, unknown>;
}

/**
 * Checks an index against the format rules before any test looks at its fields (after
 * go-containerregistry's validate.Index): schemaVersion 2; `mediaType` equal to `raw.mediaType` and an
 * index type; every child with mediaType, sha256 digest, size and platform; no platform twice among
 * the images; every attestation pointing at an image of this index; no annotations in a Docker list;
 * digest and size those of the bytes. And what the index builder promises and ECR needs: only the
 * top-level fields `schemaVersion`, `mediaType`, `manifests` and `annotations`, in that order (no
 * `artifactType` or `subject`); annotations, when present, a non-empty map of strings with sorted
 * keys; no `platform.features` (ECR refuses it, aws/containers-roadmap#2439). Returns the parsed body.
 */
export function expectValidIndex(raw: RawManifest): { schemaVersion: number; mediaType: string; manifests: ChildJson[] } {
  expect(raw.digest, 'digest is sha256 of the bytes').toBe(computeDigest(raw.bytes));
  expect(raw.size, 'size is the byte length').toBe(raw.bytes.byteLength);
  expect(isIndexMediaType(raw.mediaType), `${raw.mediaType} is an index media type`).toBe(true);

  const body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw.bytes)) as Record<string, unknown>;
  expect(body.schemaVersion, 'schemaVersion').toBe(2);
  expect(body.mediaType, 'body mediaType equals the served mediaType').toBe(raw.mediaType);
  expect(Array.isArray(body.manifests), 'manifests is an array').toBe(true);
  const manifests = body.manifests as ChildJson[];
  const isDocker = raw.mediaType === MediaTypes.dockerManifestList;
  if (isDocker) expect(body, 'a Docker manifest list has no annotations').not.toHaveProperty('annotations');
  const topLevel = ['schemaVersion', 'mediaType', 'manifests', 'annotations'];
  expect(Object.keys(body), 'top-level fields, in this order').toEqual(topLevel.filter((key) => Object.hasOwn(body, key)));
  if (Object.hasOwn(body, 'annotations')) {
    const annotations = body.annotations as Record<string, unknown>;
    expect(typeof annotations === 'object' && annotations !== null && !Array.isArray(annotations), 'annotations is a map').toBe(true);
    const keys = Object.keys(annotations);
    expect(keys.length, 'annotations is written only when there are some').toBeGreaterThan(0);
    expect(keys, 'annotation keys sorted').toEqual([...keys].sort());
    for (const key of keys) expect(typeof annotations[key], `annotations["${key}"] is a string`).toBe('string');
  }

  const imageDigests = new Set<string>();
  const platforms = new Set<string>();
  const attestations: ChildJson[] = [];
  manifests.forEach((child, i) => {
    const where = `manifests[${i}]`;
    expect(typeof child.mediaType === 'string' && child.mediaType !== '', `${where}.mediaType`).toBe(true);
    expect(child.digest, `${where}.digest`).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(Number.isSafeInteger(child.size) && (child.size as number) >= 0, `${where}.size is a byte count`).toBe(true);
    expect(child.platform, `${where}.platform`).toBeTypeOf('object');
    expect(
      typeof child.platform?.os === 'string' && typeof child.platform.architecture === 'string',
      `${where}.platform has os and architecture`,
    ).toBe(true);
    expect(child.platform, `${where}.platform has no features (ECR refuses it)`).not.toHaveProperty('features');
    if (isDocker) expect(child, `${where} of a Docker manifest list has no annotations`).not.toHaveProperty('annotations');
    const isAttestation =
      child.annotations?.[Annotations.referenceType] === Annotations.attestationManifest ||
      child.platform?.os === 'unknown' ||
      child.platform?.architecture === 'unknown';
    if (isAttestation) {
      attestations.push(child);
      return;
    }
    const platform = JSON.stringify([
      child.platform?.os,
      child.platform?.['os.version'],
      child.platform?.architecture,
      child.platform?.variant,
    ]);
    expect(platforms.has(platform), `${where}: platform ${platform} appears twice`).toBe(false);
    platforms.add(platform);
    imageDigests.add(child.digest as string);
  });
  for (const attestation of attestations) {
    const subject = attestation.annotations?.[Annotations.referenceDigest];
    expect(
      imageDigests.has(subject as string),
      `attestation ${String(attestation.digest)} references ${String(subject)}, an image of this index`,
    ).toBe(true);
  }
  return body as { schemaVersion: number; mediaType: string; manifests: ChildJson[] };
}
