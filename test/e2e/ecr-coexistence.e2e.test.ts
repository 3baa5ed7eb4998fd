import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbVersionStore } from '../../src/adapters/dynamodb/dynamodb-version-store.ts';
import { createEcrClient, EcrImageRegistry } from '../../src/adapters/ecr/ecr-image-registry.ts';
import { createDependencies } from '../../src/composition.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, MediaTypes } from '../../src/core/media-types.ts';
import { reconcileRepository } from '../../src/core/reconcile.ts';
import { normaliseRepositoryConfig, type RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { SociV2 } from '../../src/core/tag-holder.ts';
import { toVersionStatus } from '../../src/core/version-status.ts';
import { createOnImagePushHandler, type OnImagePushResult } from '../../src/handlers/on-image-push.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { type EcrDouble, startEcrDouble } from '../support/ecr-double/ecr-double.ts';
import { ecrPushEvent } from '../support/ecr-event.ts';
import { CapturingLogger } from '../support/fakes.ts';
import { encodeJson, type ImageOptions, pushBlob, pushImage, pushRawManifest } from '../support/images.ts';

// Coexistence with what else touches the version tags on ECR, through the production path: events
// into the real on-image-push handler, EcrImageRegistry through the SDK to the ECR double (the real
// registry behind it), DynamoDbVersionStore on dynalite.
// - Replication: two deployments (two tables), two repositories standing for two regions; region B
//   receives region A's per-arch tags and published index as REPLICATE events, in any order.
// - SOCI v2 and signatures rewriting the version tag on top of our index.
// - Immutable repositories.

const registryUrl = inject('registryUrl');
const lambdaContext = { awsRequestId: 'e2e', functionName: 'on-image-push' } as unknown as Context;
const IMAGES: Record<'amd64' | 'arm64', ImageOptions> = {
  amd64: { arch: 'amd64', format: 'oci' },
  arm64: { arch: 'arm64', format: 'oci' },
};
let ecr: EcrDouble;

interface Deployment {
  readonly repository: string;
  readonly store: DynamoDbVersionStore;
  readonly logger: CapturingLogger;
  readonly deps: ReturnType<typeof createDependencies>;
  readonly handle: (event: unknown) => Promise<OnImagePushResult>;
  status(version: string): Promise<ReturnType<typeof toVersionStatus> | undefined>;
}

async function deployment(
  repository: string,
  config: Partial<RepositoryConfigInput> = {},
  tagMutability: 'MUTABLE' | 'IMMUTABLE' = 'MUTABLE',
): Promise<Deployment> {
  ecr.createRepository(repository, { tagMutability });
  const client = makeDynamoClient();
  const store = new DynamoDbVersionStore({ client, tableName: await createUniqueTable(client) });
  await store.putRepositoryConfig(repository, normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'], ...config }));
  const logger = new CapturingLogger();
  const registry = new EcrImageRegistry({ client: createEcrClient('us-east-1', ecr.clientConfig()) });
  const deps = createDependencies({ registry, store, logger });
  const handler = createOnImagePushHandler(deps, { timeoutEarlyInMillis: 0 });
  return {
    repository,
    store,
    logger,
    deps,
    handle: (event) => handler(event, lambdaContext),
    status: async (version) => {
      const record = await store.getVersion({ repository, version });
      return record === undefined ? undefined : toVersionStatus(record, await store.getRepositoryConfig(repository), Date.now());
    },
  };
}

function pushEvent(repository: string, digest: string, tag: string | undefined, mediaType: string) {
  return ecrPushEvent(repository, digest, tag, { id: randomUUID(), account: ecr.registryId, mediaType });
}

/** What ECR sends in a replication destination: detail-type "ECR Replication Action", action-type REPLICATE. */
function replicationEvent(repository: string, digest: string, tag: string | undefined, mediaType: string) {
  const event = pushEvent(repository, digest, tag, mediaType);
  return {
    ...event,
    'detail-type': 'ECR Replication Action',
    detail: { ...event.detail, 'action-type': 'REPLICATE', 'source-region': 'us-west-2', 'source-account': ecr.registryId },
  };
}

/** The exact bytes the registry serves under a reference. */
async function served(
  repository: string,
  reference: string,
): Promise<{ status: number; bytes: Uint8Array; digest: string; mediaType: string }> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: ACCEPTED_MANIFEST_MEDIA_TYPES.join(', ') },
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, bytes, digest: computeDigest(bytes), mediaType: response.headers.get('content-type') ?? '' };
}

function puts(repository: string): number {
  return ecr.callsTo('PutImage').filter((call) => call.input.repositoryName === repository).length;
}

/** Publishes `version` in a deployment from two per-arch pushes; returns the index digest. */
async function publish(d: Deployment, version: string, arm64Label?: string): Promise<string> {
  for (const arch of ['amd64', 'arm64'] as const) {
    const options = arch === 'arm64' && arm64Label !== undefined ? { ...IMAGES[arch], label: arm64Label } : IMAGES[arch];
    const image = await pushImage(registryUrl, d.repository, `${version}-${arch}`, options);
    await d.handle(pushEvent(d.repository, image.digest, `${version}-${arch}`, image.mediaType));
  }
  const index = await served(d.repository, version);
  expect(index.status).toBe(200);
  return index.digest;
}

beforeAll(async () => {
  ecr = await startEcrDouble({ registryUrl });
});

afterAll(async () => {
  await ecr.close();
});

describe("ECR replication: a second region's deployment receiving replicated pushes", () => {
  it.each([
    ['the index first', ['index', 'amd64', 'arm64']],
    ['the index between the per-arch tags', ['arm64', 'index', 'amd64']],
    ['the index last', ['amd64', 'arm64', 'index']],
  ])('with %s: publishes a byte-identical index (or keeps the replicated one), reports no conflict', async (_, order) => {
    const id = randomUUID().slice(0, 8);
    const a = await deployment(`e2e-coex/region-a-${id}`);
    const b = await deployment(`e2e-coex/region-b-${id}`);
    // A version with a dash: the default tagPattern reads its own tag 1.0-rc1 as version 1.0, platform rc1.
    const version = '1.0-rc1';
    await publish(a, version);
    const indexA = await served(a.repository, version);

    for (const step of order) {
      if (step === 'index') {
        // ECR replicates an index with the images it references.
        for (const arch of ['amd64', 'arm64'] as const) await pushImage(registryUrl, b.repository, undefined, IMAGES[arch]);
        const pushed = await pushRawManifest(registryUrl, b.repository, version, indexA.bytes, indexA.mediaType);
        expect(await b.handle(replicationEvent(b.repository, pushed.digest, version, pushed.mediaType))).toMatchObject({ kind: 'ignored' });
      } else {
        const tag = `${version}-${step}`;
        const image = await pushImage(registryUrl, b.repository, tag, IMAGES[step as 'amd64' | 'arm64']);
        expect(await b.handle(replicationEvent(b.repository, image.digest, tag, image.mediaType))).toMatchObject({ kind: 'recorded' });
      }
    }

    const indexB = await served(b.repository, version);
    expect(Buffer.from(indexB.bytes).equals(Buffer.from(indexA.bytes))).toBe(true);
    expect(await b.status(version)).toMatchObject({ state: 'published', error: null, published: { digest: indexA.digest } });
    expect(await b.store.getVersion({ repository: b.repository, version: '1.0' })).toBeUndefined();
    // Region B put the index only when it got there before the replicated one, and then the same bytes.
    expect(puts(b.repository)).toBe(order.at(-1) === 'index' ? 1 : 0);
    expect(await reconcileRepository(b.deps, b.repository)).toMatchObject({
      drift: [],
      conflicts: [],
      failures: [],
      pushesRecovered: [],
      published: [],
    });
    expect(b.logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });
});

/** `soci convert` over `tag`: copies of our images carrying the SOCI annotation, each with its SOCI index. */
async function sociConvert(repository: string, tag: string): Promise<string> {
  const ours = JSON.parse(new TextDecoder().decode((await served(repository, tag)).bytes));
  const empty = await pushBlob(registryUrl, repository, encodeJson({}), 'application/vnd.oci.empty.v1+json');
  const manifests: object[] = [];
  for (const child of ours.manifests) {
    const ztoc = await pushBlob(registryUrl, repository, new TextEncoder().encode(`ztoc of ${child.digest as string}`));
    const soci = await pushRawManifest(
      registryUrl,
      repository,
      computeDigest(encodeJson(sociIndexBody(empty, ztoc))),
      encodeJson(sociIndexBody(empty, ztoc)),
      MediaTypes.ociManifest,
    );
    const original = JSON.parse(new TextDecoder().decode((await served(repository, child.digest)).bytes));
    const copyBytes = encodeJson({ ...original, annotations: { [SociV2.imageAnnotation]: soci.digest } });
    const copy = await pushRawManifest(registryUrl, repository, computeDigest(copyBytes), copyBytes, child.mediaType);
    manifests.push({
      mediaType: copy.mediaType,
      digest: copy.digest,
      size: copy.size,
      platform: child.platform,
      annotations: { [SociV2.imageAnnotation]: soci.digest },
    });
    manifests.push({
      mediaType: MediaTypes.ociManifest,
      digest: soci.digest,
      size: soci.size,
      artifactType: SociV2.indexArtifactType,
      platform: child.platform,
      annotations: { [SociV2.indexAnnotation]: copy.digest },
    });
  }
  return (
    await pushRawManifest(
      registryUrl,
      repository,
      tag,
      encodeJson({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }),
      MediaTypes.ociIndex,
    )
  ).digest;
}

function sociIndexBody(empty: { digest: string; size: number }, ztoc: { digest: string; size: number }) {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType: SociV2.indexArtifactType,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: empty.size },
    layers: [{ mediaType: 'application/octet-stream', digest: ztoc.digest, size: ztoc.size }],
  };
}

describe('tools that rewrite the version tag on top of our index', () => {
  it('a SOCI v2 index over the tag is recognised: no drift, no restore with onDrift restore, status says what holds the tag', async () => {
    const d = await deployment(`e2e-coex/soci-${randomUUID().slice(0, 8)}`, { onDrift: 'restore' });
    const ours = await publish(d, '2.0');
    const soci = await sociConvert(d.repository, '2.0');
    // The tool's push makes an event too: not a per-arch tag.
    expect(await d.handle(pushEvent(d.repository, soci, '2.0', MediaTypes.ociIndex))).toMatchObject({ kind: 'ignored' });
    const before = puts(d.repository);

    const report = await reconcileRepository(d.deps, d.repository);

    expect(report).toMatchObject({ drift: [], conflicts: [], failures: [] });
    expect(puts(d.repository)).toBe(before);
    expect((await served(d.repository, '2.0')).digest).toBe(soci);
    const status = await d.status('2.0');
    expect(status).toMatchObject({ state: 'published', error: null, published: { digest: ours } });
    expect(status?.published?.heldBy).toEqual([
      { tag: '2.0', digest: soci, note: expect.stringContaining(`SOCI-enabled index with every image of the published index ${ours}`) },
    ]);
    expect((await reconcileRepository(d.deps, d.repository)).drift).toEqual([]);
    expect(puts(d.repository)).toBe(before);
  });

  it('a signature whose subject is our index is recognised; a foreign index is still drift and restored', async () => {
    const d = await deployment(`e2e-coex/signed-${randomUUID().slice(0, 8)}`, { onDrift: 'restore' });
    const ours = await publish(d, '3.0');
    const index = await served(d.repository, '3.0');
    const empty = await pushBlob(registryUrl, d.repository, encodeJson({}), 'application/vnd.oci.empty.v1+json');
    const envelope = await pushBlob(registryUrl, d.repository, new TextEncoder().encode(`signature of ${ours}`), 'application/jose+json');
    const signature = await pushRawManifest(
      registryUrl,
      d.repository,
      '3.0',
      encodeJson({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        artifactType: 'application/vnd.cncf.notary.signature',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: empty.size },
        layers: [{ mediaType: 'application/jose+json', digest: envelope.digest, size: envelope.size }],
        subject: { mediaType: index.mediaType, digest: ours, size: index.bytes.byteLength },
      }),
      MediaTypes.ociManifest,
    );
    const before = puts(d.repository);
    expect((await reconcileRepository(d.deps, d.repository)).drift).toEqual([]);
    expect(puts(d.repository)).toBe(before);
    expect((await d.status('3.0'))?.published?.heldBy).toEqual([
      { tag: '3.0', digest: signature.digest, note: expect.stringContaining('a Notation signature whose subject is') },
    ]);

    const stranger = await pushImage(registryUrl, d.repository, '3.0', { arch: 'amd64', format: 'oci', label: 'stranger' });
    const report = await reconcileRepository(d.deps, d.repository);
    expect(report.drift).toEqual([{ version: '3.0', tag: '3.0', expected: ours, actual: stranger.digest, action: 'restored' }]);
    expect((await served(d.repository, '3.0')).digest).toBe(ours);
  });
});

describe('immutable repositories', () => {
  it('with tagMutability: immutable, publishes once; a rebuild is a conflict naming the tag, with no PutImage attempted', async () => {
    const d = await deployment(`e2e-coex/immutable-${randomUUID().slice(0, 8)}`, { tagMutability: 'immutable' }, 'IMMUTABLE');
    const first = await publish(d, '4.0');
    expect(puts(d.repository)).toBe(1);

    const rebuilt = await pushImage(registryUrl, d.repository, '4.0-arm64', { ...IMAGES.arm64, label: 'rebuild' });
    const event = pushEvent(d.repository, rebuilt.digest, '4.0-arm64', rebuilt.mediaType);
    const outcome = await d.handle(event);
    expect(outcome).toMatchObject({
      kind: 'recorded',
      publish: { kind: 'conflict', message: expect.stringContaining('Publish the rebuild under a new version') },
    });
    expect(outcome).toMatchObject({ publish: { message: expect.stringContaining(`version 4.0 was published as ${first} under 4.0`) } });
    // Redelivered, and the reconciler: still no PutImage, the tag keeps the first index.
    await d.handle(event);
    await reconcileRepository(d.deps, d.repository);
    expect(puts(d.repository)).toBe(1);
    expect((await served(d.repository, '4.0')).digest).toBe(first);
    expect(await d.status('4.0')).toMatchObject({ state: 'conflict', published: { digest: first } });
  });

  it("without the setting, ECR's ImageTagAlreadyExistsException becomes a conflict naming the tag, tried once, not retried", async () => {
    const d = await deployment(`e2e-coex/detected-${randomUUID().slice(0, 8)}`, {}, 'IMMUTABLE');
    const first = await publish(d, '5.0');
    const rebuilt = await pushImage(registryUrl, d.repository, '5.0-arm64', { ...IMAGES.arm64, label: 'rebuild' });
    const event = pushEvent(d.repository, rebuilt.digest, '5.0-arm64', rebuilt.mediaType);
    expect(await d.handle(event)).toMatchObject({
      publish: { kind: 'conflict', message: expect.stringContaining('tag 5.0 of ECR repository') },
    });
    const attempts = ecr
      .callsTo('PutImage')
      .filter((c) => c.input.repositoryName === d.repository)
      .map((c) => c.outcome);
    expect(attempts).toEqual(['ok', 'ImageTagAlreadyExistsException']);
    await d.handle(event);
    await reconcileRepository(d.deps, d.repository);
    expect(puts(d.repository)).toBe(2);
    expect((await served(d.repository, '5.0')).digest).toBe(first);
    expect(await d.status('5.0')).toMatchObject({ state: 'conflict', error: expect.stringContaining('immutable') });
  });
});
