// The load generator, in its own process (npm run bench forks it): pushes the per-arch images, runs
// the anchors, and watches the version tags; prints one JSON line with what it measured. Keeping it
// out of the runner's process means the runner's memory and CPU figures are the runner's alone.
import type { TestArch } from '../test/support/images.ts';
import { type AnchorTool, runAnchor } from './anchors.ts';
import { tagHoldsIndex as holdsIndex, listTags as listRepositoryTags, pushBenchImage } from './bench-http.ts';
import { processCpuMs } from './process-cpu.ts';

export type Tool = 'project' | AnchorTool;

export type PusherJob =
  | {
      readonly kind: 'latency';
      readonly registryUrl: string;
      readonly anchorHosts: Readonly<Record<AnchorTool, string>>;
      readonly repository: string;
      readonly versions: readonly string[];
      readonly anchors: readonly AnchorTool[];
      readonly pollMs: number;
    }
  | {
      readonly kind: 'burst';
      readonly tool: Tool;
      readonly registryUrl: string;
      readonly anchorHost: string;
      readonly repository: string;
      readonly versions: readonly string[];
      readonly pushers: number;
      readonly pollMs: number;
    };

export interface LatencyResult {
  readonly kind: 'latency';
  /** Milliseconds from the last per-arch push answered to the version tag holding the index, per tool. */
  readonly latencies: Record<Tool, number[]>;
  readonly polls: number;
  readonly maxRssMiB: number;
}

export interface BurstResult {
  readonly kind: 'burst';
  readonly tool: Tool;
  readonly seconds: number;
  /** When the last push was answered (for the anchors, also their last index), from the start. */
  readonly pushedSeconds: number;
  readonly versions: number;
  readonly polls: number;
  readonly maxRssMiB: number;
  /**
   * CPU milliseconds spent during the burst by this process (pushes, watcher) and by the anchor
   * commands it ran (docker, buildah: its children).
   */
  readonly cpuMs: { readonly loadGenerator: number; readonly toolCommands: number };
}

const ARCHES: readonly TestArch[] = ['amd64', 'arm64'];
let polls = 0;

function tagHoldsIndex(registryUrl: string, repository: string, tag: string): Promise<boolean> {
  polls++;
  return holdsIndex(registryUrl, repository, tag);
}

/** How long a watcher waits for a version tag (BENCH_TAG_TIMEOUT_MS): raise it on a machine shared with other work. */
const TAG_TIMEOUT_MS = Number(process.env.BENCH_TAG_TIMEOUT_MS ?? 60_000);

async function waitForIndex(
  registryUrl: string,
  repository: string,
  tag: string,
  pollMs: number,
  timeoutMs = TAG_TIMEOUT_MS,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await tagHoldsIndex(registryUrl, repository, tag))) {
    if (performance.now() > deadline) throw new Error(`${repository}:${tag} holds no index after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Waits for many version tags at once (the bursts): one `tags/list` of the repository per poll for all
 * of them. A tag counts as published when it is listed; only the project writes a version tag (the
 * pushers write `<version>-<arch>`), and `confirm` checks afterwards, outside the timed window, that
 * every one holds an index (the run fails otherwise). A `HEAD` per pending tag every poll cost the
 * load generator ~1,300 requests per 50-version burst, and a `HEAD` to confirm each listed tag at
 * once another 50, all served by the registry on the two cores the project's burst shares, where the
 * anchors' bursts need no watcher at all. It lists nothing until `start`: the burst cannot be over
 * before its last push is answered (a version tag needs both platforms), so listing while the pushers
 * push would only take the cores from them and from the project.
 */
function watchTags(registryUrl: string, repository: string, pollMs: number, timeoutMs = TAG_TIMEOUT_MS) {
  const waiting = new Map<string, { deadline: number; resolve: () => void; reject: (error: Error) => void }>();
  const listed: string[] = [];
  let running = false;
  let started = false;
  const listTags = (): Promise<Set<string>> => {
    polls++;
    return listRepositoryTags(registryUrl, repository);
  };
  const loop = async (): Promise<void> => {
    running = true;
    try {
      while (waiting.size > 0) {
        const tags = await listTags();
        for (const [tag, waiter] of [...waiting]) {
          if (tags.has(tag)) {
            waiting.delete(tag);
            listed.push(tag);
            waiter.resolve();
          } else if (performance.now() > waiter.deadline) {
            waiting.delete(tag);
            waiter.reject(new Error(`${repository}:${tag} was not published after ${timeoutMs} ms`));
          }
        }
        if (waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    } catch (error) {
      for (const waiter of waiting.values()) waiter.reject(error as Error);
      waiting.clear();
    } finally {
      running = false;
    }
  };
  const waitFor = (tag: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      waiting.set(tag, { deadline: performance.now() + timeoutMs, resolve, reject });
      if (started && !running) void loop();
    });
  const start = (): void => {
    started = true;
    if (!running && waiting.size > 0) void loop();
  };
  const confirm = async (): Promise<void> => {
    for (const tag of listed) {
      if (!(await tagHoldsIndex(registryUrl, repository, tag))) throw new Error(`${repository}:${tag} was published but holds no index`);
    }
  };
  return { waitFor, start, confirm };
}

const pushArch = (registryUrl: string, repository: string, version: string, arch: TestArch) =>
  pushBenchImage(registryUrl, repository, `${version}-${arch}`, { arch, format: 'oci', label: `${repository}:${version}` });

async function measureLatency(job: Extract<PusherJob, { kind: 'latency' }>): Promise<LatencyResult> {
  const latencies: Record<Tool, number[]> = { project: [], docker: [], buildah: [] };
  for (const [i, version] of job.versions.entries()) {
    await pushArch(job.registryUrl, job.repository, version, 'amd64');
    await pushArch(job.registryUrl, job.repository, version, 'arm64');
    const answered = performance.now();
    await waitForIndex(job.registryUrl, job.repository, version, job.pollMs);
    latencies.project.push(performance.now() - answered);
    // The anchors work from the same per-arch tags; which goes first alternates, so neither always
    // finds the registry's caches warmed by the other.
    const order = i % 2 === 0 ? job.anchors : [...job.anchors].reverse();
    for (const tool of order) {
      const started = performance.now();
      await runAnchor(
        tool,
        { registryHost: job.anchorHosts[tool], repository: job.repository },
        ARCHES.map((a) => `${version}-${a}`),
        `${version}-${tool}`,
      );
      latencies[tool].push(performance.now() - started);
      if (!(await tagHoldsIndex(job.registryUrl, job.repository, `${version}-${tool}`)))
        throw new Error(`${tool} left no index at ${version}-${tool}`);
    }
  }
  return { kind: 'latency', latencies, polls, maxRssMiB: maxRssMiB() };
}

async function measureBurst(job: Extract<PusherJob, { kind: 'burst' }>): Promise<BurstResult> {
  const queue = [...job.versions];
  const cpuBefore = { self: processCpuMs('self'), children: processCpuMs('self', 'children') };
  const started = performance.now();
  const pending: Promise<void>[] = [];
  const watcher = watchTags(job.registryUrl, job.repository, job.pollMs);
  const worker = async (): Promise<void> => {
    for (let version = queue.shift(); version !== undefined; version = queue.shift()) {
      await Promise.all(ARCHES.map((arch) => pushArch(job.registryUrl, job.repository, version!, arch)));
      if (job.tool === 'project') {
        // The project publishes on its own; this pusher moves on, and a watcher waits for the tag.
        pending.push(watcher.waitFor(version));
      } else {
        await runAnchor(
          job.tool,
          { registryHost: job.anchorHost, repository: job.repository },
          ARCHES.map((a) => `${version}-${a}`),
          version,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: job.pushers }, worker));
  const pushedSeconds = (performance.now() - started) / 1000;
  watcher.start();
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = {
    loadGenerator: processCpuMs('self') - cpuBefore.self,
    toolCommands: processCpuMs('self', 'children') - cpuBefore.children,
  };
  // Outside the timed window and the CPU figures: every version tag the watcher saw holds an index.
  await watcher.confirm();
  return { kind: 'burst', tool: job.tool, seconds, pushedSeconds, versions: job.versions.length, polls, maxRssMiB: maxRssMiB(), cpuMs };
}

function maxRssMiB(): number {
  // ru_maxrss is in KiB on Linux.
  return process.resourceUsage().maxRSS / 1024;
}

const job = JSON.parse(process.argv[2] ?? '{}') as PusherJob;
const result = job.kind === 'latency' ? await measureLatency(job) : await measureBurst(job);
process.stdout.write(`${JSON.stringify(result)}\n`);
