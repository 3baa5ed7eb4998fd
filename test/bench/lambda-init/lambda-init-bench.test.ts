import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionConfig, Invocation } from '../../../bench/lambda-init/bench-functions.ts';
import { type LambdaPort, runLambdaInitBench } from '../../../bench/lambda-init/lambda-init-bench.ts';

const root = mkdtempSync(join(tmpdir(), 'lambda-init-bench-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bundles = ['bench-sdk-floor', 'bench-api'].map((out, i) => {
  mkdirSync(join(root, 'dist', out), { recursive: true });
  const file = join(root, 'dist', out, 'index.mjs');
  writeFileSync(file, 'export const handler = async () => ({});');
  return { name: i === 0 ? 'sdk-only floor' : 'api', file, startFiles: [relative(root, file)], startBytes: 40, totalBytes: 40 };
});

/** Lambda that answers every invocation cold, and fails the one whose handler `failing` names. */
class CannedLambda implements LambdaPort {
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  readonly configs = new Map<string, FunctionConfig>();
  constructor(
    readonly failing?: string,
    readonly refusedCreate?: string,
  ) {}
  async create(name: string, _zip: Uint8Array, config: FunctionConfig) {
    if (name === this.refusedCreate) throw new Error(`refused ${name}`);
    // The others take a while, so that they finish after the refusal.
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.created.push(name);
    this.configs.set(name, config);
  }
  async configure(name: string, config: FunctionConfig) {
    this.configs.set(name, config);
  }
  async invoke(name: string): Promise<Invocation> {
    const report = { durationMs: 1, initDurationMs: 100, maxMemoryUsedMb: 80 };
    if (this.configs.get(name)?.handler === this.failing) return { report, payload: '{"errorMessage":"boom"}', functionError: 'Unhandled' };
    return { report, payload: '{}' };
  }
  async delete(name: string) {
    this.deleted.push(name);
  }
}

const options = { bundles, root, rounds: 1, environment: { TABLE_NAME: 'bench' }, runId: 'abc' };

describe('runLambdaInitBench', () => {
  it('names each function for the run and the bundle, and gives a variant its own functions with its variables', async () => {
    const lambda = new CannedLambda();
    const result = await runLambdaInitBench(lambda, {
      ...options,
      withCompileCache: false,
      environmentVariants: [{ name: 'with a setting', suffix: 'm', environment: { GLIBC_TUNABLES: 'x' } }],
    });
    expect(lambda.created).toEqual(['ma-init-abc-sdk-floor', 'ma-init-abc-api', 'ma-init-abc-sdk-floor-m', 'ma-init-abc-api-m']);
    expect(lambda.configs.get('ma-init-abc-api-m')?.environment).toEqual({
      TABLE_NAME: 'bench',
      GLIBC_TUNABLES: 'x',
      BENCH_COLD_START: '0',
    });
    expect(lambda.configs.get('ma-init-abc-api')?.environment).toEqual({ TABLE_NAME: 'bench', BENCH_COLD_START: '0' });
    expect(result.variants.map((v) => [v.name, Object.fromEntries(v.samples.initMs)])).toEqual([
      ['as deployed', { 'sdk-only floor': [100], api: [100] }],
      ['with a setting', { 'sdk-only floor': [100], api: [100] }],
    ]);
    expect(lambda.deleted).toEqual(lambda.created);
  });

  it('deletes every function it made when a step fails, and says which', async () => {
    const lambda = new CannedLambda('produce-compile-cache.handler');
    await expect(runLambdaInitBench(lambda, { ...options, withCompileCache: true })).rejects.toThrow(
      /the compile-cache producer of (sdk-only floor|api) \(ma-init-abc-[a-z-]+\) failed: \{"errorMessage":"boom"\}/,
    );
    expect(lambda.created.length).toBeGreaterThan(0);
    expect([...lambda.deleted].sort()).toEqual([...lambda.created].sort());
  });

  it('waits for the creations under way when one is refused, and deletes those too', async () => {
    const lambda = new CannedLambda(undefined, 'ma-init-abc-sdk-floor');
    await expect(runLambdaInitBench(lambda, { ...options, withCompileCache: false })).rejects.toThrow(/refused ma-init-abc-sdk-floor/);
    expect(lambda.created).toEqual(['ma-init-abc-api']);
    expect(lambda.deleted).toEqual(['ma-init-abc-api']);
  });

  it('refuses a variant suffix that would make an invalid function name, before it deploys anything', async () => {
    const lambda = new CannedLambda();
    await expect(
      runLambdaInitBench(lambda, {
        ...options,
        withCompileCache: false,
        environmentVariants: [{ name: 'x', suffix: 'Bad_Suffix', environment: {} }],
      }),
    ).rejects.toThrow(/suffix must be lower-case letters and digits other than cc, not Bad_Suffix/);
    expect(lambda.created).toEqual([]);
    expect(lambda.deleted).toEqual(lambda.created);
  });
});
