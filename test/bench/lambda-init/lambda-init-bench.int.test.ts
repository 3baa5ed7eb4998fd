import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLES, type BuiltBundle, buildBundle } from '../../../bench/bundles.ts';
import { CHECK_HANDLER, modulesNotFromCache } from '../../../bench/lambda-init/compile-cache.ts';
import { formatLambdaInitReport } from '../../../bench/lambda-init/init-report.ts';
import { COMPILE_CACHE_VARIANT, PLAIN_VARIANT, runLambdaInitBench } from '../../../bench/lambda-init/lambda-init-bench.ts';
import { bundleImporters, nodeVersionAtLeast } from '../../../bench/lambda-node.ts';
import { LocalLambda } from '../../support/local-lambda.ts';

// The whole `npm run bench:lambda` flow but Lambda's API: real bundles, zipped and unzipped, the
// compile cache produced by the packaged producer, carried back as the producer's JSON, packaged
// read-back and checked by the packaged check, all in node of Lambda's major started with Lambda's
// flags (fetched into .cache/node/ like the bench's, ~6 s once). Node's flushCompileCache, which the
// producer calls, exists since 22.10.
const lambdaNode = bundleImporters()
  .map((importer) => ('node' in importer ? importer.node : undefined))
  .find((node) => node !== undefined && nodeVersionAtLeast(node.version, 22, 10));

describe.skipIf(lambdaNode === undefined)('runLambdaInitBench against a local stand-in for Lambda', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-init-'));
  const root = join(import.meta.dirname, '..', '..', '..');
  // Refused at once: reconcile's sweep calls DynamoDB, and nothing may wait on the network here.
  const environment = { TABLE_NAME: 'bench', EVENT_BUS_NAME: 'default', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' };
  let bundles: BuiltBundle[];
  beforeAll(async () => {
    bundles = [];
    for (const bundle of BUNDLES) bundles.push({ name: bundle.name, ...(await buildBundle(bundle, 'test-lambda-init-')) });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts every bundle cold in paired rounds, as deployed, with a compile cache the check finds taken and with a variable set, and deletes every function', async () => {
    const lambda = new LocalLambda(dir, lambdaNode as NonNullable<typeof lambdaNode>);
    const result = await runLambdaInitBench(lambda, {
      bundles,
      root,
      rounds: 2,
      withCompileCache: true,
      environmentVariants: [
        { name: 'with a malloc setting', suffix: 'm', environment: { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=4194304' } },
      ],
      environment,
      runId: 'test',
      taskRoot: lambda.taskRoot,
      producedCacheDir: join(lambda.tmpDir, 'node-compile-cache'),
    });

    const labels = bundles.map((b) => b.name);
    expect(result.variants.map((v) => v.name)).toEqual([PLAIN_VARIANT, COMPILE_CACHE_VARIANT, 'with a malloc setting']);
    for (const { samples } of result.variants) {
      expect(samples.droppedRounds).toBe(0);
      for (const label of labels) expect(samples.initMs.get(label)).toEqual([expect.any(Number), expect.any(Number)]);
    }
    const cache = result.variants[1]?.compileCache;
    expect(cache?.node).toBe(lambdaNode?.version);
    expect(Object.fromEntries(cache?.notFromCache ?? [])).toEqual(Object.fromEntries(labels.map((label) => [label, []])));
    expect(lambda.created).toHaveLength(3 * bundles.length);
    expect(lambda.created.filter((name) => name.endsWith('-m'))).toHaveLength(bundles.length);
    expect([...lambda.deleted].sort()).toEqual([...lambda.created].sort());

    const report = formatLambdaInitReport({
      startedAt: new Date(0),
      region: 'local',
      runtime: 'nodejs22.x',
      architecture: 'x86_64',
      memoryMb: 256,
      labels,
      roundsAsked: 2,
      ...result,
    });
    const over = '[\\d.]+ ms \\| \\*\\*[+−][\\d.]+\\*\\* \\[[^\\]]+\\] ms [✓✗]';
    for (const label of labels.slice(1))
      expect(report).toMatch(new RegExp(`^\\| ${label} \\| ${over} \\| ${over} \\| ${over} \\| yes \\|$`, 'm'));
  }, 180_000);

  it('finds the start files compiled from source when the package carries no cache', async () => {
    const lambda = new LocalLambda(dir, lambdaNode as NonNullable<typeof lambdaNode>);
    const floor = bundles[0] as BuiltBundle;
    const { filesUnder, zipPackage } = await import('../../../bench/lambda-init/function-package.ts');
    const { compileCacheHandlerFiles } = await import('../../../bench/lambda-init/compile-cache.ts');
    const files = new Map([...filesUnder(join(floor.file, '..')), ...compileCacheHandlerFiles()]);
    await lambda.create('no-cache', zipPackage(files), {
      handler: CHECK_HANDLER,
      environment: { NODE_COMPILE_CACHE: join(lambda.taskRoot, 'node-compile-cache') },
    });
    const check = JSON.parse((await lambda.invoke('no-cache')).payload) as { log: string };
    expect(modulesNotFromCache(check.log, ['index.mjs', 'chunks/start.mjs'], lambda.taskRoot)).toEqual(['index.mjs', 'chunks/start.mjs']);
  }, 60_000);
});
