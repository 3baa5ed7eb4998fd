// npm run bench: the pure core, then manifest-assembler side by side with the tools a user would
// otherwise run (docker manifest, buildah manifest) on the same pushes in one run, then the Lambda
// bundles against an SDK-only floor; writes bench/RESULTS.md with the machine it ran on.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchBundleImports, buildBenchBundles, GC_COUNTING_IMPORTS } from './bundles.ts';
import { benchCore } from './core.ts';
import { machine, summarise, timingTable } from './harness.ts';
import { formatHostCosts, measureHostCosts } from './host-costs.ts';
import { bundleImporters } from './lambda-node.ts';
import { type BenchReport, type BundleRun, bundleRunSection, formatReport } from './report.ts';
import { benchSideBySide } from './side-by-side.ts';

const numberFromEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1`);
  return value;
};
const options = {
  runs: numberFromEnv('BENCH_RUNS', 3),
  versionsPerRun: numberFromEnv('BENCH_VERSIONS', 80),
  burstVersions: numberFromEnv('BENCH_BURST_VERSIONS', 50),
  burstPushers: numberFromEnv('BENCH_PUSHERS', 10),
  pollMs: numberFromEnv('BENCH_POLL_MS', 5),
  burstPollMs: numberFromEnv('BENCH_BURST_POLL_MS', 50),
};

console.log(`machine: ${machine()}`);
const hostCosts = measureHostCosts();
console.log(`host: ${formatHostCosts(hostCosts)}`);
// BENCH_ONLY=bundles: only the Lambda bundles against the floor (three minutes, no registry), printed;
// BENCH_ONLY=side: only the side-by-side runs, printed. Either way bench/RESULTS.md is left as the
// last full run wrote it.
// 120 rounds, not 60: with 60 the 95 % interval of an init's median over the floor spanned 4–5 ms on
// this VM (+3.3 to +8.5 ms for one median of +6.7), as wide as the 5 ms bound it is read against.
const bundleRounds = numberFromEnv('BENCH_BUNDLE_ROUNDS', 120);
const only = process.env.BENCH_ONLY;
if (only !== undefined && only !== '' && only !== 'bundles' && only !== 'side')
  throw new Error(`BENCH_ONLY must be bundles or side (or unset), not ${only}`);
/** Builds the bundles, then imports them with each node of bundleImporters (or says why a node could not be had). */
async function benchBundles(): Promise<BundleRun[]> {
  const built = await buildBenchBundles();
  return bundleImporters().map((importer) =>
    'unavailable' in importer
      ? importer
      : {
          role: importer.role,
          node: importer.node.version,
          flags: importer.node.flags,
          bundles: benchBundleImports(built, importer.node, bundleRounds),
        },
  );
}
if (only === 'bundles') {
  console.log((await benchBundles()).map((run) => bundleRunSection(run, hostCosts.pageFaultMicros)).join('\n\n'));
  process.exit(0);
}
const core = only === 'side' ? [] : await benchCore();
if (only !== 'side') console.log(timingTable(core));
console.log(
  `side by side: ${options.runs} runs × ${options.versionsPerRun} versions, bursts of ${options.burstVersions} versions with ${options.burstPushers} pushers…`,
);
const side = await benchSideBySide(options);
for (const tool of side.tools)
  console.log(timingTable([summarise(`${tool}: last push answered → tag holds the index`, side.latencies[tool])]));
// The report of this run, with the bundles' figures when they were measured.
const reportWith = (bundleRuns: BenchReport['bundleRuns']) =>
  formatReport({
    date: new Date().toISOString().slice(0, 10),
    machine: machine(),
    hostCosts,
    options,
    core,
    side,
    bundleRuns,
    bundleImports: { rounds: bundleRounds, gcCountingImports: GC_COUNTING_IMPORTS },
  });
if (only === 'side') {
  const report = reportWith([]);
  console.log(report.slice(0, report.indexOf('## Lambda bundles')));
  process.exit(0);
}
console.log('bundles…');
const report = reportWith(await benchBundles());
writeFileSync(join(import.meta.dirname, 'RESULTS.md'), report);
console.log(report);
