// npm run bench: measures the pure core, then the local stack end to end (real registry, webhook,
// handlers, dynalite), and writes the results with the machine they ran on to bench/RESULTS.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchCore } from './core.ts';
import { machine, timingTable } from './harness.ts';
import { benchLocalStack } from './local-stack.ts';

const versions = Number(process.env['BENCH_VERSIONS'] ?? 30);
const concurrent = Number(process.env['BENCH_CONCURRENT_VERSIONS'] ?? 10);

console.log(`machine: ${machine()}`);
const core = await benchCore();
console.log(timingTable(core));
const stack = await benchLocalStack({ versions, concurrentVersions: concurrent });
console.log(timingTable(stack.timings));

const report = `# Benchmark results

Run with \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.
Machine: ${machine()}.

## Core (pure functions, per call)

${timingTable(core)}

## Local stack, end to end

Real CNCF registry (docker-registry), its notification webhook, the same on-image-push handler as on
AWS, dynalite; real busybox images pushed over HTTP. ${versions} versions pushed one after another
(amd64 first, then arm64), timing from the arm64 push to the moment \`HEAD /v2/…/manifests/<version>\`
answers with the index:

${timingTable(stack.timings)}

Concurrent: ${stack.throughput.versions} versions (${stack.throughput.pushes} per-arch pushes),
${concurrent} versions at a time with both platforms pushed in parallel: all published in
${stack.throughput.seconds.toFixed(2)} s = **${stack.throughput.versionsPerSecond.toFixed(1)} versions/s**.

Stack ready ${stack.readyMs.toFixed(0)} ms after start. Memory after the run: runner (API, webhook,
handlers, dynalite, and this benchmark's client) ${stack.runnerRssMiB.toFixed(0)} MiB RSS; registry
${stack.registryRssMiB.toFixed(0)} MiB RSS.
`;
writeFileSync(join(import.meta.dirname, 'RESULTS.md'), report);
console.log(report);
