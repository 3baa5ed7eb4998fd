import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { buildOptions } from '../scripts/build.mjs';

export interface BundleFigures {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Milliseconds to import the bundle in a fresh `node` process (module load + init), median and p90. */
  readonly initP50Ms: number;
  readonly initP90Ms: number;
}

const root = join(import.meta.dirname, '..');
const BUNDLES = [
  { name: 'sdk-only floor', entry: 'bench/sdk-floor.ts', out: 'bench-sdk-floor' },
  { name: 'on-image-push', entry: 'functions/on-image-push.ts', out: 'bench-on-image-push' },
  { name: 'api', entry: 'functions/api.ts', out: 'bench-api' },
  { name: 'reconcile', entry: 'functions/reconcile.ts', out: 'bench-reconcile' },
] as const;

// What a function reads at module load (the composition root builds its clients then); no call is made.
const LAMBDA_ENV = { TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', EVENT_BUS_NAME: 'default' };

/**
 * Builds each Lambda bundle and an SDK-only floor with the options scripts/build.mjs uses, then
 * times importing each in a fresh node process, `rounds` times, interleaved so that drift of the
 * machine hits all bundles alike.
 */
export async function benchBundles(rounds = 25): Promise<BundleFigures[]> {
  const files = [];
  for (const bundle of BUNDLES) {
    const options = buildOptions({ name: bundle.out, entry: bundle.entry });
    await build(options);
    files.push({ ...bundle, file: options.outfile as string });
  }
  const samples = new Map<string, number[]>(files.map((f) => [f.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const f of files) samples.get(f.name)?.push(importMs(f.file));
  }
  return files.map((f) => {
    const code = readFileSync(f.file);
    const sorted = [...(samples.get(f.name) ?? [])].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return { name: f.name, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, initP50Ms: at(0.5), initP90Ms: at(0.9) };
  });
}

function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { ...process.env, ...LAMBDA_ENV, NODE_NO_WARNINGS: '1' }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
  return Number(result.stdout);
}
