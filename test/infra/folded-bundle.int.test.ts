import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { bundleFunction } from '../../scripts/build.mjs';
import { DynamoDbVersionStore } from '../../src/adapters/dynamodb/dynamodb-version-store.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { ecrPushEvent } from '../support/ecr-event.ts';
import { EventReceiver } from '../support/event-receiver.ts';
import { pushImage } from '../support/images.ts';

// The on-image-push bundle as scripts/build.mjs deploys it, its start chunks folded into
// chunks/start.mjs (scripts/fold-start-chunks.mjs), run for real: imported with the OCI-HTTP
// registry (whose adapter is a chunk imported on demand during the entry's top-level await, and
// imports start.mjs), then a 2-platform version pushed to the real registry and its two events
// handled against dynalite, so that the chunks a publish loads on demand (the publish path, the
// EventBridge adapter, which sends the announcement to a local receiver) run from the folded files too.

const OUT = 'test-folded-on-image-push';
const registryUrl = inject('registryUrl');
const dynamoEndpoint = inject('dynamoEndpoint');

describe('the folded on-image-push bundle', () => {
  let outdir: string;
  let metafile: Metafile;

  beforeAll(async () => {
    ({ outdir, metafile } = (await bundleFunction({ name: OUT, entry: 'functions/on-image-push.ts' })) as {
      outdir: string;
      metafile: Metafile;
    });
  }, 120_000);

  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('imports only chunks/start.mjs statically from index.mjs, and every chunk it names exists', async () => {
    const index = await readFile(join(outdir, 'index.mjs'), 'utf8');
    const staticSpecs = [...index.matchAll(/(?:^|;)import\s*(?:\{[^}]*\}\s*from\s*)?"(\.[^"]+)"/g)].map((m) => m[1]);
    expect(new Set(staticSpecs)).toEqual(new Set(['./chunks/start.mjs']));
    const onDisk = new Set((await readdir(join(outdir, 'chunks'))).map((file) => `dist/${OUT}/chunks/${file}`));
    const named = Object.values(metafile.outputs).flatMap((output) =>
      output.imports.filter((i) => !i.external && !i.path.startsWith('node:')).map((i) => i.path),
    );
    expect(named.filter((path) => !onDisk.has(path))).toEqual([]);
  });

  it('links every chunk: each import of a folded chunk names what start.mjs exports', async () => {
    const chunks = (await readdir(join(outdir, 'chunks'))).map((file) => pathToFileURL(join(outdir, 'chunks', file)).href);
    expect(chunks.length).toBeGreaterThan(10);
    const script = `for (const url of ${JSON.stringify(chunks)}) await import(url); console.log('linked');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('linked');
  });

  it('initialises with the OCI-HTTP registry, publishes a 2-platform version and announces it', async () => {
    const eventBridge = new EventReceiver();
    await eventBridge.start('/');
    const client = makeDynamoClient();
    const tableName = await createUniqueTable(client);
    const repository = `folded/hello-${randomUUID().slice(0, 8)}`;
    await new DynamoDbVersionStore({ client, tableName }).putRepositoryConfig(
      repository,
      normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }),
    );
    const amd64 = await pushImage(registryUrl, repository, '3.1-amd64', { arch: 'amd64', format: 'oci' });
    const arm64 = await pushImage(registryUrl, repository, '3.1-arm64', { arch: 'arm64', format: 'oci' });
    const events = [
      ecrPushEvent(repository, amd64.digest, '3.1-amd64', { mediaType: amd64.mediaType }),
      ecrPushEvent(repository, arm64.digest, '3.1-arm64', { mediaType: arm64.mediaType }),
    ];
    // A process of its own: the bundle reads its environment at import, as on Lambda.
    const script = [
      `const { handler } = await import(${JSON.stringify(pathToFileURL(join(outdir, 'index.mjs')).href)});`,
      'const results = [];',
      `for (const event of ${JSON.stringify(events)}) results.push(await handler(event, { awsRequestId: event.id, functionName: 'on-image-push', getRemainingTimeInMillis: () => 30000 }));`,
      'console.log(JSON.stringify(results));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        ...process.env,
        NODE_NO_WARNINGS: '1',
        TABLE_NAME: tableName,
        REGISTRY_KIND: 'oci-http',
        REGISTRY_URL: registryUrl,
        DYNAMODB_ENDPOINT: dynamoEndpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        EVENT_BUS_NAME: 'folded-bundle-test',
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
      },
      timeout: 60_000,
    }).finally(() => eventBridge.stop());
    const results = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(results).toMatchObject([
      { kind: 'recorded', publish: { kind: 'waiting' } },
      { kind: 'recorded', publish: { kind: 'published' } },
    ]);
    const tagged = await fetch(`${registryUrl}/v2/${repository}/manifests/3.1`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    expect(tagged.status).toBe(200);
    expect(eventBridge.requests.map((r) => r.headers['x-amz-target'])).toEqual(['AWSEvents.PutEvents']);
    expect(eventBridge.requests[0]?.body).toContain(repository);
  });
});
