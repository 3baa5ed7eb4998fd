import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseDynamoDbRequests } from '../src/adapters/dynamodb/dynamodb-request-counter.ts';
import { parseReadsAhead } from '../src/adapters/prefetching-image-registry.ts';
import { startRegistry } from '../test/support/registry-process.ts';
import { type AnchorTool, AnchorTools, anchorAvailable } from './anchors.ts';
import { type CountingProxy, type RequestCounts, startCountingProxy } from './counting-proxy.ts';
import { processCpuMs } from './process-cpu.ts';
import type { BurstResult, LatencyResult, PusherJob, Tool } from './pusher.ts';
import { benchRegistryDataDir } from './registry-storage.ts';
import { RssSampler } from './rss-sampler.ts';
import { prepareRunnerDataDir } from './runner-data-dir.ts';
import { configureRepository, dynalitePid, startRunner, stopProcess, waitForHealth } from './runner-process.ts';

export interface SideBySideOptions {
  readonly runs: number;
  readonly versionsPerRun: number;
  readonly burstVersions: number;
  readonly burstPushers: number;
  /** How often the load generator asks whether a version tag holds the index (HEAD, straight to the registry). */
  readonly pollMs: number;
  /**
   * The same during bursts, where every pending version has a watcher of its own: at 5 ms, 50
   * watchers sent the registry ~2,500 HEADs a second, competing with the runner for it.
   */
  readonly burstPollMs: number;
}

export interface SideBySideFigures {
  readonly tools: readonly Tool[];
  readonly skipped: readonly string[];
  readonly latencies: Record<Tool, number[]>;
  readonly bursts: BurstRun[];
  /** The cores the machine lets this process use: every process above shares them. */
  readonly cores: number;
  /** Registry requests per version, by kind, as the counting proxy in front of each tool saw them (latency runs). */
  readonly requestsPerVersion: Record<Tool, RequestCounts>;
  /**
   * The runner's DynamoDB commands per version, by operation (latency runs), from its `/metrics`:
   * the handlers' (the local inbox is a journal file, not DynamoDB).
   */
  readonly dynamoDbPerVersion: RequestCounts;
  /** The same over the project's bursts (every version's two pushes at once, and the echoes that arrived before the last tag was seen). */
  readonly dynamoDbPerBurstVersion: RequestCounts;
  /** The project's registry requests per version over its bursts, by kind (its counting proxy). */
  readonly projectRequestsPerBurstVersion: RequestCounts;
  /** The runner's reads ahead over the project's bursts, by outcome (`manifest_assembler_registry_reads_ahead_total`). */
  readonly readsAheadInBursts: RequestCounts;
  /** Resident memory, MiB. The runner is its own process only; dynalite is its child process. */
  readonly rss: {
    runnerPeakMiB: number;
    runnerPeakDuringBurstMiB: number;
    runnerEndMiB: number;
    dynalitePeakMiB: number;
    dynalitePeakDuringBurstMiB: number;
    dynaliteEndMiB: number;
    registryPeakMiB: number;
    pusherPeakMiB: number;
  };
  readonly polls: { latency: number; burst: number };
  readonly readyMs: number;
  /**
   * The runner's CPU time (user + system, read from /proc outside it) per version: over the latency
   * runs (the echo events included) and over the project's bursts.
   */
  readonly runnerCpuMsPerVersion: { latency: number; burst: number };
  /** The same for the runner's dynalite child (DynamoDB's stand-in, which on AWS is not in the function). */
  readonly dynaliteCpuMsPerVersion: { latency: number; burst: number };
}

/**
 * One tool's burst, and the CPU milliseconds every process on the machine spent during it (read from
 * /proc outside each): all of them share the machine's cores, so their sum over the cores is the
 * shortest the burst could have been with the cores never idle.
 */
export interface BurstRun extends BurstResult {
  readonly machineCpuMs: {
    readonly registry: number;
    readonly runner: number;
    readonly dynalite: number;
    readonly loadGenerator: number;
    readonly toolCommands: number;
    /** This process: the counting proxies and the memory sampler. */
    readonly harness: number;
  };
}

const root = join(import.meta.dirname, '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
// Per-arch tags only: the anchors' own targets (`1.0.0-docker`) must not look like per-arch pushes.
const TAG_PATTERN = '^(?<version>[0-9]+\\.[0-9]+\\.[0-9]+)-(?<platform>amd64|arm64)$';

/** The runner's `/metrics` text. */
async function runnerMetrics(apiUrl: string, token: string): Promise<string> {
  const answer = await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!answer.ok) throw new Error(`GET /metrics answered ${answer.status}`);
  return answer.text();
}

/** The runner's counters the report follows, from one read of its `/metrics`. */
async function runnerCounters(apiUrl: string, token: string): Promise<{ dynamoDb: RequestCounts; readsAhead: RequestCounts }> {
  const text = await runnerMetrics(apiUrl, token);
  return { dynamoDb: parseDynamoDbRequests(text), readsAhead: parseReadsAhead(text) };
}

/**
 * manifest-assembler and the tools a user would otherwise run, on the same pushes, in one run:
 * the registry (docker-registry) and a counting proxy per tool; the runner as its own process
 * (`manifest-assembler start` with REGISTRY_URL at its proxy; the registry notifies its webhook);
 * dynalite as the runner's child process; the load generator (bench/pusher.ts) as a fourth
 * process. Memory is read from /proc, outside each.
 */
export async function benchSideBySide(options: SideBySideOptions): Promise<SideBySideFigures> {
  const { work, dataDir, apiPort, notifications } = await prepareRunnerDataDir('ma-bench-');
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(work, { recursive: true, force: true })];
  try {
    const registryStorage = benchRegistryDataDir();
    cleanups.unshift(registryStorage.remove);
    const registry = await startRegistry({ ...notifications, dataDir: registryStorage.dir });
    cleanups.unshift(() => registry.stop());
    const registryUrl = registry.url;
    const proxies: Record<Tool, CountingProxy> = {
      project: await startCountingProxy(registryUrl),
      docker: await startCountingProxy(registryUrl),
      buildah: await startCountingProxy(registryUrl),
    };
    cleanups.unshift(() => Promise.all(Object.values(proxies).map((p) => p.close())).then(() => undefined));

    const started = performance.now();
    const runner = startRunner({ DATA_DIR: dataDir, API_PORT: String(apiPort), REGISTRY_URL: proxies.project.url });
    cleanups.unshift(() => stopProcess(runner));
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitForHealth(apiUrl, runner);
    const readyMs = performance.now() - started;
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    const runnerRss = new RssSampler(runner.pid ?? -1);
    const dynaliteProcess = dynalitePid(runner.pid ?? -1);
    const dynaliteRss = new RssSampler(dynaliteProcess);
    const registryRss = new RssSampler(registry.pid);
    cleanups.unshift(() => {
      runnerRss.stop();
      dynaliteRss.stop();
      registryRss.stop();
    });
    // Each run's project burst in a repository of its own: the watcher lists its tags every poll, and a
    // list that grew with the earlier runs' tags would cost the registry more in the later runs.
    const burstRepository = (run: number) => `bench/burst-${run + 1}`;
    for (const repository of ['bench/hello', ...Array.from({ length: options.runs }, (_, run) => burstRepository(run))]) {
      await configureRepository(apiUrl, token, repository, TAG_PATTERN);
    }

    const skipped: string[] = [];
    const anchors: AnchorTool[] = [];
    for (const tool of Object.values(AnchorTools)) {
      const why = await anchorAvailable(tool);
      if (why === undefined) anchors.push(tool);
      else skipped.push(why);
    }
    const tools: Tool[] = ['project', ...anchors];
    const host = (tool: Tool) => proxies[tool].url.replace('http://', '');
    let pusherPeakMiB = 0;
    const polls = { latency: 0, burst: 0 };

    // Latency: every version pushed once; the project publishes on its own, then each anchor builds
    // its index from the same per-arch tags.
    const latencies: Record<Tool, number[]> = { project: [], docker: [], buildah: [] };
    const requestTotals: Record<Tool, RequestCounts> = { project: {}, docker: {}, buildah: {} };
    const dynamoTotals: RequestCounts = {};
    const cpuMs = { latency: 0, burst: 0, burstVersions: 0, dynaliteLatency: 0, dynaliteBurst: 0 };
    for (let run = 0; run < options.runs; run++) {
      const cpuBefore = processCpuMs(runner.pid ?? -1);
      const dynaliteCpuBefore = processCpuMs(dynaliteProcess);
      for (const proxy of Object.values(proxies)) proxy.reset();
      const countersBefore = await runnerCounters(apiUrl, token);
      const versions = Array.from({ length: options.versionsPerRun }, (_, i) => `${run + 1}.${i}.0`);
      const result = await runPusher<LatencyResult>({
        kind: 'latency',
        registryUrl,
        anchorHosts: { docker: host('docker'), buildah: host('buildah') },
        repository: 'bench/hello',
        versions,
        anchors,
        pollMs: options.pollMs,
      });
      for (const tool of tools) {
        latencies[tool].push(...result.latencies[tool]);
        addCounts(requestTotals[tool], proxies[tool].counts());
      }
      // The last echo events may still be in flight when the pusher saw the last tag: settle first.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      cpuMs.latency += processCpuMs(runner.pid ?? -1) - cpuBefore;
      cpuMs.dynaliteLatency += processCpuMs(dynaliteProcess) - dynaliteCpuBefore;
      addGrowth(dynamoTotals, (await runnerCounters(apiUrl, token)).dynamoDb, countersBefore.dynamoDb);
      polls.latency += result.polls;
      pusherPeakMiB = Math.max(pusherPeakMiB, result.maxRssMiB);
    }
    const totalVersions = options.runs * options.versionsPerRun;
    const requestsPerVersion = Object.fromEntries(tools.map((tool) => [tool, perVersion(requestTotals[tool], totalVersions)])) as Record<
      Tool,
      RequestCounts
    >;
    const dynamoDbPerVersion = perVersion(dynamoTotals, totalVersions);

    // Bursts: the same work for each tool (push both platforms of N versions, P pushers at a time,
    // and get every version tag published), tools interleaved and their order rotated per run.
    const bursts: BurstRun[] = [];
    let runnerPeakDuringBurstMiB = 0;
    let dynalitePeakDuringBurstMiB = 0;
    const burstDynamoTotals: RequestCounts = {};
    const burstRequestTotals: RequestCounts = {};
    const burstReadsAhead: RequestCounts = {};
    for (let run = 0; run < options.runs; run++) {
      const order = tools.map((_, i) => tools[(i + run) % tools.length] as Tool);
      for (const tool of order) {
        const versions = Array.from({ length: options.burstVersions }, (_, i) => `${100 + run}.${i}.0`);
        if (tool === 'project') {
          runnerRss.resetPeak();
          dynaliteRss.resetPeak();
        }
        const countersBefore = tool === 'project' ? await runnerCounters(apiUrl, token) : undefined;
        proxies[tool].reset();
        const cpuBefore = processCpuMs(runner.pid ?? -1);
        const dynaliteCpuBefore = processCpuMs(dynaliteProcess);
        const registryCpuBefore = processCpuMs(registry.pid);
        const harnessCpuBefore = process.cpuUsage();
        const result = await runPusher<BurstResult>({
          kind: 'burst',
          tool,
          registryUrl,
          anchorHost: host(tool),
          // Anchors work in a repository the project has no config for (their pushes are ignored there).
          repository: tool === 'project' ? burstRepository(run) : `bench/anchor-${tool}`,
          versions,
          pushers: options.burstPushers,
          pollMs: options.burstPollMs,
        });
        const harnessCpu = process.cpuUsage(harnessCpuBefore);
        const machineCpuMs = {
          registry: processCpuMs(registry.pid) - registryCpuBefore,
          runner: processCpuMs(runner.pid ?? -1) - cpuBefore,
          dynalite: processCpuMs(dynaliteProcess) - dynaliteCpuBefore,
          ...result.cpuMs,
          harness: (harnessCpu.user + harnessCpu.system) / 1000,
        };
        if (countersBefore !== undefined) {
          runnerPeakDuringBurstMiB = Math.max(runnerPeakDuringBurstMiB, runnerRss.peakMiB());
          cpuMs.burst += machineCpuMs.runner;
          cpuMs.dynaliteBurst += machineCpuMs.dynalite;
          cpuMs.burstVersions += options.burstVersions;
          const countersAfter = await runnerCounters(apiUrl, token);
          addGrowth(burstDynamoTotals, countersAfter.dynamoDb, countersBefore.dynamoDb);
          addGrowth(burstReadsAhead, countersAfter.readsAhead, countersBefore.readsAhead);
          dynalitePeakDuringBurstMiB = Math.max(dynalitePeakDuringBurstMiB, dynaliteRss.peakMiB());
          addCounts(burstRequestTotals, proxies.project.counts());
        }
        bursts.push({ ...result, machineCpuMs });
        polls.burst += result.polls;
        pusherPeakMiB = Math.max(pusherPeakMiB, result.maxRssMiB);
      }
    }
    return {
      tools,
      skipped,
      latencies,
      bursts,
      cores: availableParallelism(),
      requestsPerVersion,
      dynamoDbPerVersion,
      dynamoDbPerBurstVersion: perVersion(burstDynamoTotals, Math.max(1, cpuMs.burstVersions)),
      projectRequestsPerBurstVersion: perVersion(burstRequestTotals, Math.max(1, cpuMs.burstVersions)),
      readsAheadInBursts: burstReadsAhead,
      rss: {
        runnerPeakMiB: runnerRss.highWaterMiB(),
        runnerPeakDuringBurstMiB,
        runnerEndMiB: runnerRss.currentMiB(),
        dynalitePeakMiB: dynaliteRss.highWaterMiB(),
        dynalitePeakDuringBurstMiB,
        dynaliteEndMiB: dynaliteRss.currentMiB(),
        registryPeakMiB: registryRss.highWaterMiB(),
        pusherPeakMiB,
      },
      polls,
      readyMs,
      runnerCpuMsPerVersion: { latency: cpuMs.latency / totalVersions, burst: cpuMs.burst / Math.max(1, cpuMs.burstVersions) },
      dynaliteCpuMsPerVersion: {
        latency: cpuMs.dynaliteLatency / totalVersions,
        burst: cpuMs.dynaliteBurst / Math.max(1, cpuMs.burstVersions),
      },
    };
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

function runPusher<T>(job: PusherJob): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [join(import.meta.dirname, 'pusher.ts'), JSON.stringify(job)], {
      cwd: root,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as T);
      else reject(new Error(`the load generator exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

function addCounts(into: RequestCounts, from: RequestCounts): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/** Each count divided by the number of versions it was counted over. */
function perVersion(totals: RequestCounts, versions: number): RequestCounts {
  return Object.fromEntries(Object.entries(totals).map(([key, n]) => [key, n / versions]));
}

/** Adds to `into` how much each of a runner's counters grew from `before` to `after`. */
function addGrowth(into: RequestCounts, after: RequestCounts, before: RequestCounts): void {
  for (const [key, n] of Object.entries(after)) into[key] = (into[key] ?? 0) + n - (before[key] ?? 0);
}
