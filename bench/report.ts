import { REGISTRY_GO_ENVIRONMENT } from '../src/local/registry/registry-process.ts';
import type { BundleFigures } from './bundles.ts';
import type { RequestCounts } from './counting-proxy.ts';
import { percentile, type Timing, timingTable } from './harness.ts';
import { formatHostCosts, type HostCosts } from './host-costs.ts';
import { INSTRUCTION_COUNTS } from './import-instructions.ts';
import type { Tool } from './pusher.ts';
import type { BurstRun, SideBySideFigures, SideBySideOptions } from './side-by-side.ts';

export interface BenchReport {
  readonly date: string;
  readonly machine: string;
  /** Measured at the start of the run: what moves the ratios between runs of the same code. */
  readonly hostCosts: HostCosts;
  readonly options: SideBySideOptions;
  readonly core: readonly Timing[];
  readonly side: SideBySideFigures;
  /** The bundles' figures as imported by each node the bench used (bundleImporters). */
  readonly bundleRuns: readonly BundleRun[];
  /** How many timed imports of each bundle per node, and over how many more their garbage collections were counted. */
  readonly bundleImports: { readonly rounds: number; readonly gcCountingImports: number };
}

/** The bundles imported by one node: its version and why that node, or why it could not be had. */
export type BundleRun =
  | { readonly role: string; readonly node: string; readonly flags: readonly string[]; readonly bundles: readonly BundleFigures[] }
  | { readonly role: string; readonly unavailable: string };

const TOOL_NAMES: Record<Tool, string> = {
  project: 'manifest-assembler (automatic, on the push event)',
  docker: '`docker manifest create` + `annotate` + `push --insecure`',
  buildah: '`buildah manifest create` + `add` ×2 + `push`',
};
const SHORT_NAMES: Record<Tool, string> = { project: 'manifest-assembler', docker: 'docker manifest', buildah: 'buildah manifest' };

const median = (values: readonly number[]) => percentile(values, 0.5);
const ms = (value: number) => `${value.toFixed(0)} ms`;
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');

/** bench/RESULTS.md: every figure of one `npm run bench`, with the machine and the ratios to the anchors. */
export function formatReport(report: BenchReport): string {
  const { side, options } = report;
  const latencyRows = side.tools.map((tool) => {
    const s = side.latencies[tool];
    return `| ${TOOL_NAMES[tool]} | ${s.length} | ${ms(percentile(s, 0.5))} | ${ms(percentile(s, 0.95))} | ${ms(percentile(s, 0.99))} | ${ms(Math.max(...s))} |`;
  });
  const burstsOf = (tool: Tool) => side.bursts.filter((b) => b.tool === tool);
  const burstSeconds = (tool: Tool) => burstsOf(tool).map((b) => b.seconds);
  const burstRows = side.tools.map((tool) => {
    const seconds = burstSeconds(tool);
    return `| ${TOOL_NAMES[tool]} | ${seconds.map((s) => s.toFixed(2)).join(', ')} s | ${median(seconds).toFixed(2)} s | ${(options.burstVersions / median(seconds)).toFixed(1)} |`;
  });
  const cpuColumns = ['registry', 'runner', 'dynalite', 'loadGenerator', 'toolCommands', 'harness'] as const;
  const burstCpuRows = side.tools.map((tool) => {
    const runs = burstsOf(tool);
    const seconds = (pick: (b: BurstRun) => number) => median(runs.map(pick)) / 1000;
    const totalOf = (b: BurstRun) => cpuColumns.reduce((sum, column) => sum + b.machineCpuMs[column], 0);
    const cells = cpuColumns.map((column) => `${seconds((b) => b.machineCpuMs[column]).toFixed(2)}`);
    return `| ${TOOL_NAMES[tool]} | ${median(burstSeconds(tool)).toFixed(2)} | ${cells.join(' | ')} | **${seconds(totalOf).toFixed(2)}** | ${(seconds(totalOf) / side.cores).toFixed(2)} |`;
  });
  // The runner and dynalite's CPU in a burst: the project's own work in its bursts, and in an
  // anchor's what the runner spent skipping that anchor's pushes.
  const runnerAndDynaliteMs = (b: BurstRun) => b.machineCpuMs.runner + b.machineCpuMs.dynalite;
  // What each tool itself adds to the machine per version in its bursts: for the project the runner
  // and dynalite, for an anchor the commands it ran (the runner then only skips the notifications of
  // a repository nobody configured; the pushes, the registry and the harness are there for every tool).
  const ownCpuMsPerVersion = (tool: Tool) =>
    median(burstsOf(tool).map((b) => (tool === 'project' ? runnerAndDynaliteMs(b) : b.machineCpuMs.toolCommands))) / options.burstVersions;
  const ownCpu = side.tools.map((tool) => `${SHORT_NAMES[tool]} ${ownCpuMsPerVersion(tool).toFixed(0)} ms`).join(', ');
  const ownCpuRatio = side.tools.includes('docker')
    ? ` (manifest-assembler / docker workflow = **${(ownCpuMsPerVersion('project') / ownCpuMsPerVersion('docker')).toFixed(2)}×**)`
    : '';
  // The runner is up through the anchors' bursts too, and the registry notifies it of their pushes,
  // which it skips (no configuration names their repository): CPU on the cores the anchor shares.
  let skipping = '';
  if (side.tools.includes('docker')) {
    const skippingSeconds = median(burstsOf('docker').map(runnerAndDynaliteMs)) / 1000;
    const shorterSeconds = skippingSeconds / side.cores;
    const fairRatio = median(burstSeconds('project')) / (median(burstSeconds('docker')) - shorterSeconds);
    skipping = `\n\nThrough the anchors' bursts the runner was still up, and the registry notified it of their pushes, which it
skipped (no configuration names their repository): ${skippingSeconds.toFixed(2)} s of CPU (runner and dynalite, median) in
docker's burst, on the cores docker's workflow shared. Had the runner been idle, docker's burst could have been at most
${shorterSeconds.toFixed(2)} s shorter, and the burst ratio would have been up to **${fairRatio.toFixed(2)}×**.`;
  }
  const burstRequests = side.projectRequestsPerBurstVersion;
  const kinds = [
    ...new Set([...side.tools.flatMap((tool) => Object.keys(side.requestsPerVersion[tool])), ...Object.keys(burstRequests)]),
  ].sort();
  const sum = (counts: RequestCounts) => Object.values(counts).reduce((a, b) => a + b, 0);
  const requestRows = [
    ...kinds.map(
      (kind) =>
        `| ${kind} | ${side.tools.map((tool) => (side.requestsPerVersion[tool][kind] ?? 0).toFixed(2)).join(' | ')} | ${(burstRequests[kind] ?? 0).toFixed(2)} |`,
    ),
    `| **total** | ${side.tools.map((tool) => `**${sum(side.requestsPerVersion[tool]).toFixed(2)}**`).join(' | ')} | **${sum(burstRequests).toFixed(2)}** |`,
  ];
  const readsAhead = side.readsAheadInBursts;
  const operations = [...new Set([...Object.keys(side.dynamoDbPerVersion), ...Object.keys(side.dynamoDbPerBurstVersion)])].sort();
  const dynamoRows = [
    ...operations.map(
      (operation) =>
        `| ${operation} | ${(side.dynamoDbPerVersion[operation] ?? 0).toFixed(2)} | ${(side.dynamoDbPerBurstVersion[operation] ?? 0).toFixed(2)} |`,
    ),
    `| **total** | **${sum(side.dynamoDbPerVersion).toFixed(2)}** | **${sum(side.dynamoDbPerBurstVersion).toFixed(2)}** |`,
  ];
  const project = side.latencies.project;
  const docker = side.latencies.docker;
  const latencyVersions = options.runs * options.versionsPerRun;
  return `# Benchmark results

Run with \`npm run bench\` on ${report.date}.
Machine: ${report.machine}.
Host at the start of the run: ${formatHostCosts(report.hostCosts)}. Both move from one day to the
next on this VM (docs/performance.md's runs table has each run's), and they move the tools unequally: every
docker or buildah command is a process start of a few thousand page faults, and a function's import
takes a few hundred more than the floor's (docs/performance.md, "What the host moves"). Compare
ratios between runs only with these alike.
${side.skipped.length > 0 ? `\nNot measured: ${side.skipped.join('; ')}.\n` : ''}
Four processes, as in use: the **runner** (\`manifest-assembler start\`: webhook, inbox, handlers),
**dynalite** (DynamoDB's stand-in, the runner's child process, as DynamoDB is outside a Lambda), the
**registry** (docker-registry, whose notifications go to the runner), and the **load generator**
(bench/pusher.ts: pushes, runs the anchors' merge jobs, each one \`sh\` script per version as a CI
step runs it, and watches tags). Each tool reaches the registry through
its own counting proxy, so every tool's requests are counted by the same instrument. The registry is
the same for every tool and runs as the local stack runs it (Go's collector at ${Object.entries(REGISTRY_GO_ENVIRONMENT)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ')}), its storage on tmpfs (/dev/shm) where the machine has one.

## Latency: last per-arch push answered → version tag holds the index

${options.runs} runs × ${options.versionsPerRun} versions (linux/amd64 + linux/arm64, real busybox images,
OCI). For each version the load generator pushes amd64 then arm64 once; manifest-assembler
publishes on its own, timed from the arm64 push's answer until \`HEAD\` of the version tag returns
the index (polled every ${options.pollMs} ms); then each anchor builds its own index from the same
per-arch tags (alternating which goes first), timed from its start to its exit.

| tool | versions | p50 | p95 | p99 | max |
| --- | --- | --- | --- | --- | --- |
${latencyRows.join('\n')}

manifest-assembler p50 / docker p50 = **${ratio(percentile(project, 0.5), percentile(docker, 0.5))}**;
manifest-assembler p99 / docker p50 = **${ratio(percentile(project, 0.99), percentile(docker, 0.5))}**.

## Burst: ${options.burstVersions} versions × 2 platforms, ${options.burstPushers} pushers

Each tool does the same work per run: push both platforms of ${options.burstVersions} versions,
${options.burstPushers} at a time, and get every version tag published (for the anchors, each pusher runs
the anchor after its pushes, as a CI merge job would). Tools interleaved, order rotated per run.

| tool | per run | median | versions/s |
| --- | --- | --- | --- |
${burstRows.join('\n')}

manifest-assembler time / docker workflow time = **${ratio(median(burstSeconds('project')), median(burstSeconds('docker')))}**.
The pushers of manifest-assembler's runs were done after ${side.bursts
    .filter((b) => b.tool === 'project')
    .map((b) => `${b.pushedSeconds.toFixed(2)} s`)
    .join(
      ', ',
    )}: the rest is the runner and dynalite working through the notifications the registry queued meanwhile, on cores the pushes kept busy (below).

**Where the CPU went during the bursts** (seconds of CPU, user + system, read from /proc for every
process outside it; medians over the runs). Every process shares the machine's ${side.cores} cores, so
the total over ${side.cores} is the shortest a burst could have taken with no core ever idle. The load
generator's share is the same work for every tool (the pushes; for manifest-assembler also the
watcher); the anchor commands are the merge jobs it ran (one \`sh\` per version, forking the docker or
buildah commands as a CI step does) with their commands; the harness is the
counting proxies and the memory sampler of \`npm run bench\` itself.

| tool | wall, median (s) | registry | runner | dynalite | load generator | anchor commands | harness | total | total ÷ ${side.cores} cores |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${burstCpuRows.join('\n')}

The tool's own CPU per version in its bursts (the project: runner + dynalite; an anchor: the commands
it ran): ${ownCpu}${ownCpuRatio}.${skipping}

## Registry requests per version, by kind

Counted by the proxy in front of each tool over the ${latencyVersions} latency versions, and in front of the
project over its bursts (the pushes themselves and the load generator's polling go straight to the
registry and are not counted).

| request | ${side.tools.join(' | ')} | project, bursts |
| --- | ${side.tools.map(() => '---').join(' | ')} | --- |
${requestRows.join('\n')}

In the project's bursts, pushes queued behind the earlier push of their version had their manifest
and config read ahead: ${readsAhead.started ?? 0} reads started, ${readsAhead.used ?? 0} handed to their handler,
${readsAhead.skipped ?? 0} not started (as many waiting already), ${readsAhead.expired ?? 0} expired unread.

## DynamoDB requests per version (manifest-assembler only)

The runner's handlers' DynamoDB commands over the same ${latencyVersions} versions, by operation, read
from its \`/metrics\` (\`manifest_assembler_dynamodb_requests_total{component="handlers"}\`) before and
after each run, and over the project's bursts. The local inbox is a journal file, not DynamoDB; the
anchors use no DynamoDB.

| operation | per version, latency runs | per version, bursts |
| --- | --- | --- |
${dynamoRows.join('\n')}

## Memory (resident, read from /proc, outside each process)

| process | peak |
| --- | --- |
| runner, whole run (VmHWM) | ${side.rss.runnerPeakMiB.toFixed(0)} MiB |
| runner, during the manifest-assembler bursts (sampled every 50 ms) | ${side.rss.runnerPeakDuringBurstMiB.toFixed(0)} MiB |
| runner, at the end | ${side.rss.runnerEndMiB.toFixed(0)} MiB |
| dynalite, whole run (VmHWM) | ${side.rss.dynalitePeakMiB.toFixed(0)} MiB |
| dynalite, during the manifest-assembler bursts (sampled every 50 ms) | ${side.rss.dynalitePeakDuringBurstMiB.toFixed(0)} MiB |
| dynalite, at the end | ${side.rss.dynaliteEndMiB.toFixed(0)} MiB |
| registry (VmHWM) | ${side.rss.registryPeakMiB.toFixed(0)} MiB |
| load generator | ${side.rss.pusherPeakMiB.toFixed(0)} MiB |

CPU time (user + system, read from \`/proc/<pid>/stat\` outside each process) per version:
runner ${side.runnerCpuMsPerVersion.latency.toFixed(0)} ms and dynalite ${side.dynaliteCpuMsPerVersion.latency.toFixed(0)} ms over the latency runs (two pushes and the echo of the index put),
runner ${side.runnerCpuMsPerVersion.burst.toFixed(0)} ms and dynalite ${side.dynaliteCpuMsPerVersion.burst.toFixed(0)} ms over the manifest-assembler bursts.

Runner ready ${side.readyMs.toFixed(0)} ms after its process started (bundle cached).

**The poller's cost.** The load generator sent ${side.polls.latency} tag checks during the latency runs
(${(side.polls.latency / latencyVersions).toFixed(1)} per version), each a \`HEAD\` straight to the registry every ${options.pollMs} ms while the
tag is pending, and ${side.polls.burst} requests during manifest-assembler's bursts: one \`tags/list\` of the repository every
${options.burstPollMs} ms while any version is pending, from the moment the pushers are done (the burst cannot be over before its
last push is answered; each run's burst in a repository of its own), and, after the timed window, one \`HEAD\`
per version tag to check it holds an index.
The anchors' runs need no watcher (the load generator runs them and waits for their exit).

## Lambda bundles against an SDK-only floor

Built with the options of scripts/build.mjs (esbuild, ESM, minified, node20). The floor
(bench/sdk-floor.ts) holds only the SDK clients and middy the functions need. *Loaded at start* is
index.mjs and the chunks it imports statically (what a cold start reads); *all* adds the chunks
loaded only on demand (re2js for a custom tagPattern, the SDK's rarely used credential providers).
Init: the time to import the bundle (module load and top-level code) in a fresh \`node\` process,
started as Lambda's Node runtime starts it: with the flags of its bootstrap for the functions'
memorySize, given above each table. Any V8 flag among them makes Node compile its own modules from
source rather than from its code cache, which slows every import, and the functions' more than the
floor's (docs/performance.md, "Init as Lambda starts node"). ${report.bundleImports.rounds} times
each, interleaved (each round starting with another bundle); wall clock and the CPU time of the
same imports (on a loaded machine the CPU time is the steadier of the two). *Over the floor* is
paired by round: the median of each round's difference to the floor's import in that round, with
the 95 % confidence interval of that median in brackets (from the order statistics of the rounds'
differences, assuming nothing about their distribution). A bound that falls inside the interval
is not settled by the run: the next run's median may land on either side of it.
*GCs during the import*: V8's garbage collections that started before the import ended, young
generation (scavenges) / old generation, fewest–most over ${report.bundleImports.gcCountingImports} more imports of each bundle (not the
timed ones, since counting them needs an observer). Each scavenge here costs 1.5–3 ms, and on
Node 20 the floor imports within 16–32 KB of allocation short of its third (docs/performance.md, "A
scavenge the floor just misses"), so a bundle that takes one more pays for it in its init however
few bytes it adds; on Node 22 the floor runs that third one too ("Init on Node 22").
*Page faults during the import*: the process's minor faults (its threads' included) in the timed
imports, median, and over the floor the median of the paired rounds' differences; the line below
each table prices them at the fault cost measured at the start of the run. On this VM a fault costs
10–15 µs (software paging, docs/performance.md, "Page faults: this host's price"), so a few hundred
faults are milliseconds of the init over the floor that a host with hardware paging does not charge.
The bundles are imported by this machine's node and by one of the Lambda runtime's major (Node's own build from
the npm registry, fetched once into .cache/node/), each over its own floor.

${report.bundleRuns.map((run) => bundleRunSection(run, report.hostCosts.pageFaultMicros)).join('\n\n')}

## Core (pure functions, per call)

${timingTable(report.core)}
`;
}

/**
 * One node's bundle table, headed by the node and why it was used, followed by the imports'
 * instructions, what their page faults cost at `pageFaultMicros` (the host's, measured at the start
 * of the run) and what a compile cache leaves; or why the node could not be had.
 */
export function bundleRunSection(run: BundleRun, pageFaultMicros: number): string {
  if ('unavailable' in run) return `**Not imported by a node of ${run.role}**: ${run.unavailable}`;
  const lines = [instructionLine(run.bundles), pageFaultLine(run.bundles, pageFaultMicros), compileCachedLine(run.bundles)].filter(
    (line) => line !== undefined,
  );
  return [
    `**Imported by node ${run.node}** (${run.role}), started with \`${run.flags.join(' ')}\`:`,
    bundleTable(run.bundles),
    ...lines,
  ].join('\n\n');
}

/** A difference, signed, to a tenth: `+1.4`, `−0.3`. */
export const signed = (value: number) => {
  // Sign of what is shown: −0.04 is printed +0.0, not −0.0.
  const shown = Number(value.toFixed(1));
  return `${shown < 0 ? '−' : '+'}${Math.abs(shown).toFixed(1)}`;
};
/** A whole-number difference, signed: `+429`, `−38`; like {@link signed}, −0.4 is printed +0. */
const signedWhole = (value: number) => {
  const shown = Math.round(value);
  return `${shown < 0 ? '−' : '+'}${Math.abs(shown).toLocaleString('en-US')}`;
};
/** Each function's figure over the floor, `name —` where it has none, joined for a line under the table. */
const eachFunction = (functions: readonly BundleFigures[], figure: (b: BundleFigures) => string | undefined) =>
  functions.map((b) => `${b.name} ${figure(b) ?? '—'}`).join(', ');
/** A median's 95 % interval as ` [−0.3, +2.5]`, or nothing without one. */
export const intervalText = (interval: { low: number; high: number } | undefined) =>
  interval === undefined ? '' : ` [${signed(interval.low)}, ${signed(interval.high)}]`;

/**
 * The imports' instructions: the floor's, and each function's over it, in millions and as a share
 * of the floor's; or why they were not counted.
 */
export function instructionLine(bundles: readonly BundleFigures[]): string {
  const [floor, ...functions] = bundles;
  if (floor?.importInstructions === undefined)
    return 'Instructions of the imports: not counted, valgrind is not installed (`apt-get install valgrind`; `npm run bench` installs it when root).';
  const floorCount = floor.importInstructions.median;
  const millions = (count: number) => (count / 1e6).toFixed(1);
  const over = eachFunction(functions, (b) => {
    if (b.importInstructions === undefined) return undefined;
    const extra = b.importInstructions.median - floorCount;
    return `${signed(extra / 1e6)} M (${signed((extra / floorCount) * 100)} %; its counts within ${millions(b.importInstructions.spread)} M)`;
  });
  return (
    `Instructions of the import (valgrind's cachegrind: the process's minus node importing nothing, node with fixed seeds, ` +
    `one thread and no address randomisation, so that the count does not move with the host; the median of ${INSTRUCTION_COUNTS} processes, ` +
    `since a count now and then lands ~2 M off the others): the floor ${millions(floorCount)} M (its counts within ` +
    `${millions(floor.importInstructions.spread)} M); over it, ${over}.`
  );
}

/**
 * What the functions' page faults over the floor's come to at the host's price per fault, or undefined
 * when that price was not measured: on a host that charges 10–15 µs a fault (this VM) it is a share of
 * the init over the floor that a host with cheap faults does not pay.
 */
export function pageFaultLine(bundles: readonly BundleFigures[], pageFaultMicros: number): string | undefined {
  const [, ...functions] = bundles;
  if (Number.isNaN(pageFaultMicros) || functions.length === 0) return undefined;
  const over = eachFunction(functions, (b) =>
    b.overFloorPageFaults === undefined
      ? undefined
      : `${signedWhole(b.overFloorPageFaults)} (≈ ${signed((b.overFloorPageFaults * pageFaultMicros) / 1000)} ms)`,
  );
  return (
    `Page faults over the floor's during the import, and what they cost at this host's ${pageFaultMicros.toFixed(1)} µs a fault ` +
    `(measured at the start of the run): ${over}. That share of the init over the floor scales with the host's ` +
    `price per fault, not with the work of the code (docs/performance.md, "Page faults: this host's price").`
  );
}

/** What the same imports took with a compile cache for every bundle, or undefined where the node has none. */
export function compileCachedLine(bundles: readonly BundleFigures[]): string | undefined {
  const [floor, ...functions] = bundles;
  if (floor?.compileCached === undefined) return undefined;
  const over = eachFunction(functions, ({ compileCached: cached }) =>
    cached?.overFloorP50Ms === undefined ? undefined : `${signed(cached.overFloorP50Ms)} ms${intervalText(cached.overFloorIntervalMs)}`,
  );
  return (
    `With a compile cache for every bundle, the floor's included (Node's \`NODE_COMPILE_CACHE\`, filled by one import of each ` +
    `first; the same rounds, each import followed by its cached twin): the floor's init p50 ${floor.compileCached.initP50Ms.toFixed(1)} ms; ` +
    `over the floor, ${over}.`
  );
}

/** `3`, or `2–3` when the imports did not all agree. */
const countRange = (range: { fewest: number; most: number }) =>
  range.fewest === range.most ? `${range.fewest}` : `${range.fewest}–${range.most}`;

/** The bundles against the SDK-only floor (the first, as for the lines under the table), as a Markdown table. */
function bundleTable(bundles: readonly BundleFigures[]): string {
  const [floor] = bundles;
  const rows = bundles.map((b) => {
    const over =
      floor === undefined || b === floor
        ? '—'
        : `${signed((b.bytes - floor.bytes) / 1000)} KB, ${signed(b.overFloorP50Ms ?? b.initP50Ms - floor.initP50Ms)} ms${intervalText(
            b.overFloorIntervalMs,
          )} (CPU ${signed(b.overFloorCpuP50Ms ?? b.initCpuP50Ms - floor.initCpuP50Ms)} ms)`;
    const gcs = b.gcsDuringImport;
    const faults = `${Math.round(b.pageFaultsP50).toLocaleString('en-US')}${b.overFloorPageFaults === undefined ? '' : ` (${signedWhole(b.overFloorPageFaults)})`}`;
    return `| ${b.name} | ${(b.bytes / 1000).toFixed(1)} KB | ${(b.gzipBytes / 1000).toFixed(0)} KB | ${(b.totalBytes / 1000).toFixed(0)} KB | ${b.initP50Ms.toFixed(1)} ms | ${b.initP90Ms.toFixed(1)} ms | ${b.initCpuP50Ms.toFixed(1)} ms | ${faults} | ${countRange(gcs.minor)} / ${countRange(gcs.major)} | ${over} |`;
  });
  return [
    '| bundle | loaded at start | gzip -9 | all | init p50 | init p90 | init CPU p50 | page faults during the import, p50 (over the floor) | GCs during the import, young / old | over the floor (start; init [its 95 % interval] and its CPU, median of the paired rounds) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
