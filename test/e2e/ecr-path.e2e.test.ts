import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbVersionStore } from '../../src/adapters/dynamodb/dynamodb-version-store.ts';
import { createEcrClient, EcrImageRegistry } from '../../src/adapters/ecr/ecr-image-registry.ts';
import { createDependencies } from '../../src/composition.ts';
import type { RawManifest } from '../../src/core/descriptor.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, MediaTypes } from '../../src/core/media-types.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { type EcrDouble, startEcrDouble } from '../support/ecr-double/ecr-double.ts';
import { ecrPushEvent } from '../support/ecr-event.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { CapturingLogger } from '../support/fakes.ts';
import { pushBuildxStyleIndex, pushImage, pushRawManifest } from '../support/images.ts';

// The production ECR path end to end: EventBridge-shaped "ECR Image Action" events into the real
// on-image-push handler (middy), EcrImageRegistry through the real SDK to the ECR double, the real
// registry behind it, and DynamoDbVersionStore on dynalite. Only ECR itself is replaced.

const registryUrl = inject('registryUrl');
const lambdaContext = { awsRequestId: 'e2e', functionName: 'on-image-push' } as unknown as Context;
let ecr: EcrDouble;
let store: DynamoDbVersionStore;

function ecrEvent(repository: string, digest: string, tag: string | undefined, mediaType: string) {
  return ecrPushEvent(repository, digest, tag ?? '', { id: randomUUID(), account: ecr.registryId, mediaType });
}

function makeHandler() {
  const logger = new CapturingLogger();
  const registry = new EcrImageRegistry({ client: createEcrClient('us-east-1', ecr.clientConfig()) });
  return { handler: createOnImagePushHandler(createDependencies({ registry, store, logger }), { timeoutEarlyInMillis: 0 }), logger };
}

async function newRepository(tagMutability: 'MUTABLE' | 'IMMUTABLE' = 'MUTABLE'): Promise<string> {
  const repository = `e2e-ecr/hello-${randomUUID().slice(0, 8)}`;
  ecr.createRepository(repository, { tagMutability });
  await store.putRepositoryConfig(repository, normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }));
  return repository;
}

/** What the registry serves under a reference: exact bytes, their digest and the served media type. */
async function served(repository: string, reference: string): Promise<RawManifest & { status: number }> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: ACCEPTED_MANIFEST_MEDIA_TYPES.join(', ') },
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    mediaType: response.headers.get('content-type') ?? '',
    digest: computeDigest(bytes),
    size: bytes.byteLength,
    bytes,
  };
}

/** Each child descriptor names exactly the bytes the registry holds for it in this repository. */
async function expectChildrenByteExact(
  repository: string,
  manifests: Array<{ mediaType?: unknown; digest?: unknown; size?: unknown }>,
): Promise<void> {
  for (const child of manifests) {
    const stored = await served(repository, String(child.digest));
    expect(stored.status, `child ${String(child.digest)} exists in ${repository}`).toBe(200);
    expect({ digest: stored.digest, size: stored.size, mediaType: stored.mediaType }).toEqual({
      digest: child.digest,
      size: child.size,
      mediaType: child.mediaType,
    });
  }
}

function successfulPuts(repository: string): number {
  return ecr.callsTo('PutImage').filter((call) => call.input.repositoryName === repository && call.outcome === 'ok').length;
}

beforeAll(async () => {
  ecr = await startEcrDouble({ registryUrl });
  const client = makeDynamoClient();
  store = new DynamoDbVersionStore({ client, tableName: await createUniqueTable(client) });
});

afterAll(async () => {
  await ecr.close();
});

describe('ECR path: EventBridge event → on-image-push → EcrImageRegistry → ECR double → registry', () => {
  it('publishes a Docker manifest list once both per-arch images are pushed, and only once', async () => {
    const repository = await newRepository();
    const { handler } = makeHandler();
    const amd64 = await pushImage(registryUrl, repository, '2.7-amd64', { arch: 'amd64', format: 'docker' });
    const first = ecrEvent(repository, amd64.digest, '2.7-amd64', amd64.mediaType);
    expect(await handler(first, lambdaContext)).toMatchObject({
      kind: 'recorded',
      version: '2.7',
      publish: { kind: 'waiting', missing: ['linux/arm64'] },
    });
    expect((await served(repository, '2.7')).status).toBe(404);

    const arm64 = await pushImage(registryUrl, repository, '2.7-arm64', { arch: 'arm64', format: 'docker' });
    const second = ecrEvent(repository, arm64.digest, '2.7-arm64', arm64.mediaType);
    expect(await handler(second, lambdaContext)).toMatchObject({ kind: 'recorded', publish: { kind: 'published' } });

    const published = await served(repository, '2.7');
    expect(published.status).toBe(200);
    expect(published.mediaType).toBe(MediaTypes.dockerManifestList);
    const index = expectValidIndex(published);
    expect(index.manifests.map((m) => ({ digest: m.digest, size: m.size, platform: m.platform }))).toEqual([
      { digest: amd64.digest, size: amd64.size, platform: { architecture: 'amd64', os: 'linux' } },
      { digest: arm64.digest, size: arm64.size, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    await expectChildrenByteExact(repository, index.manifests);
    expect(successfulPuts(repository)).toBe(1);
    expect(ecr.callsTo('PutImage').find((call) => call.input.repositoryName === repository)?.input).toMatchObject({
      imageTag: '2.7',
      imageDigest: published.digest,
      imageManifestMediaType: MediaTypes.dockerManifestList,
    });

    // Redelivered events and the push event of our own PutImage change nothing.
    const own = ecrEvent(repository, published.digest, '2.7', MediaTypes.dockerManifestList);
    expect(await handler(own, lambdaContext)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('published itself') });
    for (const event of [second, first, second]) await handler(event, lambdaContext);
    expect(successfulPuts(repository)).toBe(1);
    expect((await served(repository, '2.7')).digest).toBe(published.digest);
  });

  it('flattens a buildx-style per-arch index: the image and its attestation travel into the OCI index', async () => {
    const repository = await newRepository();
    const { handler } = makeHandler();
    // buildx pushes the image and the attestation by digest (untagged events, ignored), then the index under the tag.
    const arm64 = await pushBuildxStyleIndex(registryUrl, repository, '3.0-arm64', 'arm64');
    for (const child of [arm64.image, arm64.attestation]) {
      expect(await handler(ecrEvent(repository, child.digest, undefined, child.mediaType), lambdaContext)).toMatchObject({
        kind: 'ignored',
      });
    }
    expect(await handler(ecrEvent(repository, arm64.digest, '3.0-arm64', arm64.mediaType), lambdaContext)).toMatchObject({
      kind: 'recorded',
      publish: { kind: 'waiting', missing: ['linux/amd64'] },
    });
    const amd64 = await pushImage(registryUrl, repository, '3.0-amd64', { arch: 'amd64', format: 'oci' });
    expect(await handler(ecrEvent(repository, amd64.digest, '3.0-amd64', amd64.mediaType), lambdaContext)).toMatchObject({
      publish: { kind: 'published' },
    });

    const published = await served(repository, '3.0');
    expect(published.mediaType).toBe(MediaTypes.ociIndex);
    const index = expectValidIndex(published);
    expect(index.manifests.map((m) => [m.digest, m.platform?.os, m.platform?.architecture])).toEqual([
      [amd64.digest, 'linux', 'amd64'],
      [arm64.image.digest, 'linux', 'arm64'],
      [arm64.attestation.digest, 'unknown', 'unknown'],
    ]);
    expect(index.manifests.map((m) => m.digest)).not.toContain(arm64.digest);
    await expectChildrenByteExact(repository, index.manifests);
  });

  it('republishes when one architecture is rebuilt (mutable repository)', async () => {
    const repository = await newRepository();
    const { handler } = makeHandler();
    const amd64 = await pushImage(registryUrl, repository, '4.0-amd64', { arch: 'amd64', format: 'oci' });
    await handler(ecrEvent(repository, amd64.digest, '4.0-amd64', amd64.mediaType), lambdaContext);
    const arm64 = await pushImage(registryUrl, repository, '4.0-arm64', { arch: 'arm64', format: 'oci' });
    await handler(ecrEvent(repository, arm64.digest, '4.0-arm64', arm64.mediaType), lambdaContext);
    const before = await served(repository, '4.0');

    const rebuilt = await pushImage(registryUrl, repository, '4.0-arm64', { arch: 'arm64', format: 'oci', label: 'rebuild-1' });
    expect(await handler(ecrEvent(repository, rebuilt.digest, '4.0-arm64', rebuilt.mediaType), lambdaContext)).toMatchObject({
      publish: { kind: 'published' },
    });
    const after = await served(repository, '4.0');
    expect(after.digest).not.toBe(before.digest);
    const index = expectValidIndex(after);
    expect(index.manifests.map((m) => m.digest)).toEqual([amd64.digest, rebuilt.digest]);
    // The stale event for the old arm64 image changes nothing.
    expect(await handler(ecrEvent(repository, arm64.digest, '4.0-arm64', arm64.mediaType), lambdaContext)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('stale'),
    });
    expect((await served(repository, '4.0')).digest).toBe(after.digest);
  });

  it('reports a conflict, naming the immutable tag, when the version tag already points elsewhere', async () => {
    const repository = await newRepository('IMMUTABLE');
    const { handler } = makeHandler();
    const squatter = await pushImage(registryUrl, repository, 'squatter', { arch: 'amd64', format: 'oci', label: 'squatter' });
    await pushRawManifest(registryUrl, repository, '5.0', squatter.bytes, squatter.mediaType);
    const amd64 = await pushImage(registryUrl, repository, '5.0-amd64', { arch: 'amd64', format: 'oci' });
    await handler(ecrEvent(repository, amd64.digest, '5.0-amd64', amd64.mediaType), lambdaContext);
    const arm64 = await pushImage(registryUrl, repository, '5.0-arm64', { arch: 'arm64', format: 'oci' });
    const outcome = await handler(ecrEvent(repository, arm64.digest, '5.0-arm64', arm64.mediaType), lambdaContext);
    expect(outcome).toMatchObject({ kind: 'recorded', publish: { kind: 'conflict', message: expect.stringContaining('immutable') } });
    expect((await served(repository, '5.0')).digest).toBe(squatter.digest);
    expect((await store.getVersion({ repository, version: '5.0' }))?.error).toMatchObject({ kind: 'conflict' });
  });
});
