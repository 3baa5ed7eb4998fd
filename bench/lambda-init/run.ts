// `npm run bench:lambda`: the functions' cold start measured on Lambda itself, where issue 8's init
// bound is meant, against the SDK-only floor: each bundle deployed as a throwaway function as
// serverless.yml deploys it (runtime, architecture, memory), started cold in rounds, its `Init
// Duration` read from the REPORT line; then the same with a compile cache produced on Lambda (unless
// BENCH_LAMBDA_COMPILE_CACHE=0) and with glibc's malloc set to keep its heap (unless BENCH_LAMBDA_MALLOC=0).
// Writes bench/RESULTS-lambda.md and deletes every function it made.
// Needs AWS credentials, a region and BENCH_LAMBDA_ROLE_ARN (docs/performance.md, "Init on Lambda").
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LambdaClient, type Runtime } from '@aws-sdk/client-lambda';
import { buildBenchBundles, LAMBDA_ENV } from '../bundles.ts';
import { lambdaArchitecture, lambdaMemoryMb, lambdaNodeMajor } from '../lambda-node.ts';
import { BenchFunctions } from './bench-functions.ts';
import { formatLambdaInitReport } from './init-report.ts';
import { runLambdaInitBench } from './lambda-init-bench.ts';

const root = join(import.meta.dirname, '..', '..');

const roleArn = process.env.BENCH_LAMBDA_ROLE_ARN;
if (roleArn === undefined || roleArn === '') {
  console.error(`npm run bench:lambda needs BENCH_LAMBDA_ROLE_ARN: a role Lambda may assume, with no permission at all. For example:

  aws iam create-role --role-name manifest-assembler-bench-init --assume-role-policy-document \\
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
  BENCH_LAMBDA_ROLE_ARN=arn:aws:iam::<account>:role/manifest-assembler-bench-init AWS_REGION=<region> npm run bench:lambda

The credentials it runs with need lambda:CreateFunction, GetFunction, UpdateFunctionConfiguration,
InvokeFunction, DeleteFunction and TagResource on arn:aws:lambda:<region>:<account>:function:ma-init-*,
and iam:PassRole on that role (docs/performance.md, "Init on Lambda").`);
  process.exit(2);
}
const rounds = Number(process.env.BENCH_LAMBDA_ROUNDS ?? 60);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`BENCH_LAMBDA_ROUNDS must be a whole number ≥ 1, not ${process.env.BENCH_LAMBDA_ROUNDS}`);
  process.exit(2);
}
const client = new LambdaClient({});
const region = await client.config.region().catch(() => undefined);
if (region === undefined) {
  console.error('npm run bench:lambda needs a region: set AWS_REGION (or a profile with one).');
  process.exit(2);
}
const serverlessYml = readFileSync(join(root, 'serverless.yml'), 'utf8');
const nodeMajor = lambdaNodeMajor(serverlessYml);
const settings = {
  roleArn,
  runtime: `nodejs${nodeMajor}.x` as Runtime,
  architecture: lambdaArchitecture(serverlessYml),
  memoryMb: lambdaMemoryMb(serverlessYml),
};

const stop = new AbortController();
process.once('SIGINT', () => {
  console.error('stopping after this round; the functions are deleted before it exits, and no report is written…');
  stop.abort();
});

const startedAt = new Date();
const bundles = await buildBenchBundles();
// Node's compile cache came with 22.1 and its flush (which the producer needs) with 22.10; nodejs22.x runs a later 22.
const withCompileCache = process.env.BENCH_LAMBDA_COMPILE_CACHE !== '0' && nodeMajor >= 22;
if (!withCompileCache)
  console.log(`no compile-cache step (${settings.runtime}; BENCH_LAMBDA_COMPILE_CACHE=${process.env.BENCH_LAMBDA_COMPILE_CACHE ?? ''})`);
// The malloc setting docs/performance.md ("Page faults: this host's price") measured here: glibc keeps up to 4 MB free
// at the top of its heap instead of 128 KB, so the import does not give pages back to fault them in again.
const MALLOC_TUNABLES = 'glibc.malloc.trim_threshold=4194304:glibc.malloc.mmap_threshold=4194304';
const withMalloc = process.env.BENCH_LAMBDA_MALLOC !== '0';
const result = await runLambdaInitBench(new BenchFunctions(client, settings), {
  bundles,
  root,
  rounds,
  withCompileCache,
  environmentVariants: withMalloc
    ? [{ name: 'with GLIBC_TUNABLES (trim and mmap thresholds 4 MB)', suffix: 'm', environment: { GLIBC_TUNABLES: MALLOC_TUNABLES } }]
    : [],
  // What a function reads at load, as the local bench sets it, without the AWS_ variables Lambda reserves (it sets them itself).
  environment: Object.fromEntries(Object.entries(LAMBDA_ENV).filter(([name]) => !name.startsWith('AWS_'))),
  runId: randomBytes(3).toString('hex'),
  signal: stop.signal,
  log: (line) => console.log(`${line} (${settings.runtime}, ${settings.architecture}, ${settings.memoryMb} MB, ${region})`),
});
if (stop.signal.aborted) {
  // A run cut short would overwrite the last whole one with a few rounds or none.
  console.error('stopped before the rounds were done: bench/RESULTS-lambda.md is left as it was');
  process.exit(130);
}
const report = formatLambdaInitReport({
  startedAt,
  region,
  runtime: settings.runtime,
  architecture: settings.architecture,
  memoryMb: settings.memoryMb,
  labels: bundles.map((b) => b.name),
  roundsAsked: rounds,
  ...result,
});
writeFileSync(join(root, 'bench', 'RESULTS-lambda.md'), report);
console.log(`\n${report}\nwritten to bench/RESULTS-lambda.md`);
