// Where the latency of one version goes, step by step (docs/performance.md, "The push path, step by
// step"). `npx tsx bench/trace-latency.ts [versions]` (TRACE_VERSIONS, default 40; TRACE_GAP_MS,
// default 400: the pause between versions, about what the bench's anchors take between two).
//
// The layout of `npm run bench`'s latency runs: the registry its own process; the load generator and
// the runner's counting proxy in a child process (this script, `--pusher`); the runner in this
// process (the real local stack and handlers, started from the sources), with its dynalite child.
// Nothing in src/ is changed: the runner's requests are timed through node's diagnostics channels
// (`http.client.*` for the DynamoDB SDK and the registry client, `http.server.*` for the webhook),
// the inbox's write and the handler call through wrappers around what the composition hands the stack. Each point carries the runner's CPU time (process.cpuUsage)
// and an epoch time (performance.timeOrigin + now) that the load generator's own points share.
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createConsoleLogger } from '../src/local/console-logger.ts';
import { LocalDefaults } from '../src/local/local-settings.ts';
import { type StackEndpoints, startLocalStackWith } from '../src/local/local-stack.ts';
import { wireLocalHandlers } from '../src/local/wire-handlers.ts';
import { startRegistry } from '../test/support/registry-process.ts';
import { percentile } from './harness.ts';
import { processCpuMs } from './process-cpu.ts';
import { benchRegistryDataDir } from './registry-storage.ts';
import { prepareRunnerDataDir } from './runner-data-dir.ts';

const TAG_PATTERN = '^(?<version>[0-9]+\\.[0-9]+\\.[0-9]+)-(?<platform>amd64|arm64)$';
const REPOSITORY = 'trace/hello';
const epoch = (): number => performance.timeOrigin + performance.now();

/** `registry GET manifest by digest`, `registry HEAD manifest by tag`, `registry GET blob`… */
function registryCall(method: string, path: string): string {
  const pathname = path.split('?')[0] ?? '';
  const kind = /\/manifests\/sha256:/.test(pathname)
    ? 'manifest by digest'
    : /\/manifests\//.test(pathname)
      ? 'manifest by tag'
      : /\/blobs\//.test(pathname)
        ? 'blob'
        : pathname;
  return `registry ${method} ${kind}`;
}

/** One timed point of the runner: what, when (epoch ms), the runner's CPU so far (ms), the push it served. */
interface Point {
  readonly what: string;
  readonly at: number;
  readonly cpu: number;
  readonly tag?: string | undefined;
}

if (process.argv[2] === '--pusher') await pusher(JSON.parse(process.argv[3] ?? '{}'));
else if (process.argv[2] === '--proxy') await proxy(process.argv[3] ?? '');
else await main();

/** The runner's counting proxy, in a process of its own as in the bench (there it is in the bench's own process). */
async function proxy(registryUrl: string): Promise<void> {
  const { startCountingProxy } = await import('./counting-proxy.ts');
  const counting = await startCountingProxy(registryUrl);
  process.stdout.write(`${JSON.stringify({ proxy: counting.url })}\n`);
  // Reports its counts and stops when stdin closes.
  for await (const _ of createInterface({ input: process.stdin })) {
  }
  process.stdout.write(`${JSON.stringify({ requests: counting.counts() })}\n`);
  await counting.close();
}

async function pusher(job: { registryUrl: string; versions: string[]; gapMs: number; pollMs: number }): Promise<void> {
  const { pushBenchImage, tagHoldsIndex } = await import('./bench-http.ts');
  const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
  say({ ready: true });
  // Waits for the runner to say go (a line on stdin).
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  await lines.next();
  const holds = (tag: string) => tagHoldsIndex(job.registryUrl, REPOSITORY, tag);
  for (const version of job.versions) {
    const push = (arch: 'amd64' | 'arm64') =>
      pushBenchImage(job.registryUrl, REPOSITORY, `${version}-${arch}`, { arch, format: 'oci', label: `${REPOSITORY}:${version}` });
    await push('amd64');
    await push('arm64');
    const answered = epoch();
    let polls = 0;
    for (;;) {
      polls++;
      if (await holds(version)) break;
      await new Promise((resolve) => setTimeout(resolve, job.pollMs));
    }
    say({ version, answered, seen: epoch(), polls });
    await new Promise((resolve) => setTimeout(resolve, job.gapMs));
  }
  say({ done: true });
  process.exit(0);
}

async function main(): Promise<void> {
  const versionsWanted = Number(process.argv[2] ?? process.env.TRACE_VERSIONS ?? 40);
  const gapMs = Number(process.env.TRACE_GAP_MS ?? 400);
  const points: Point[] = [];
  const cpu = (): number => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const serving = new AsyncLocalStorage<string>();
  const mark = (what: string, tag?: string) => points.push({ what, at: epoch(), cpu: cpu(), tag: tag ?? serving.getStore() });

  // DynamoDB (the SDK's node:http requests), the registry client (node:http too) and the webhook (node:http server).
  const outgoing = new WeakMap<ClientRequest, { what: string; tag: string | undefined }>();
  diagnostics.subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    const target = request.getHeader('x-amz-target');
    const what = target === undefined ? registryCall(request.method, request.path) : `ddb ${String(target).split('.')[1]}`;
    const tag = serving.getStore();
    outgoing.set(request, { what, tag });
    mark(`${what} start`, tag);
  });
  diagnostics.subscribe('http.client.response.finish', (message) => {
    const { request } = message as { request: ClientRequest };
    const known = outgoing.get(request);
    if (known !== undefined) mark(`${known.what} answered`, known.tag);
  });
  diagnostics.subscribe('http.server.request.start', (message) => {
    const { request } = message as { request: IncomingMessage };
    if (request.url?.includes('/hooks/registry')) mark('webhook request');
  });
  diagnostics.subscribe('http.server.response.finish', (message) => {
    const { request } = message as { request: IncomingMessage };
    if (request.url?.includes('/hooks/registry')) mark('webhook answered');
  });
  // New TCP connections the runner opens (a client that does not keep its connections alive).
  diagnostics.subscribe('net.client.socket', (message) => {
    const { socket } = message as { socket: import('node:net').Socket };
    const tag = serving.getStore();
    socket.once('connect', () => mark(`connect to :${socket.remotePort}`, tag));
  });
  const { work, dataDir, apiPort, notifications } = await prepareRunnerDataDir('ma-trace-');
  const registryStorage = benchRegistryDataDir();
  const registryProcess = await startRegistry({ ...notifications, dataDir: registryStorage.dir });
  const registryUrl = registryProcess.url;
  const versions = Array.from({ length: versionsWanted }, (_, i) => `1.${i}.0`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--pusher', JSON.stringify({ registryUrl, versions, gapMs, pollMs: 5 })],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
  await next();
  const proxyChild = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--proxy', registryUrl], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const proxyLines = createInterface({ input: proxyChild.stdout! })[Symbol.asyncIterator]();
  const proxyUrl = String((JSON.parse(String((await proxyLines.next()).value)) as { proxy: string }).proxy);

  const stack = await startLocalStackWith({
    settings: {
      registryPort: registryProcess.port,
      apiPort,
      dataDir,
      externalRegistryUrl: proxyUrl,
      reconcileIntervalMs: 0,
      notifyUrls: [],
      inboxConcurrency: LocalDefaults.inboxConcurrency,
    },
    logger: createConsoleLogger('warn'),
    wire: async (endpoints: StackEndpoints) => {
      const handlers = await wireLocalHandlers(endpoints);
      const inbox = handlers.inbox!;
      return {
        ...handlers,
        onImagePush: (event) => {
          const tag = event.detail['image-tag'];
          return serving.run(tag, async () => {
            mark('handler start');
            try {
              return await handlers.onImagePush(event);
            } finally {
              mark('handler end');
            }
          });
        },
        inbox: {
          ...inbox,
          // Reads ahead run in the push's name, so their requests show under its tag.
          ...(inbox.readAhead === undefined
            ? {}
            : {
                readAhead: (event) => {
                  const tag = event.detail['image-tag'];
                  serving.run(tag, () => {
                    mark('read ahead');
                    inbox.readAhead?.(event);
                  });
                },
              }),
          // A proxy, so that only the write a notification waits for is wrapped, whatever else the store has.
          store: new Proxy(inbox.store, {
            get(target, name, receiver) {
              const value = Reflect.get(target, name, receiver) as unknown;
              if (name !== 'add' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
              return async (entry: { body: string }) => {
                const event = JSON.parse(entry.body) as { time: string; detail: Record<string, string> };
                const tag = event.detail['image-tag'];
                points.push({ what: 'notification created (registry timestamp, ms)', at: Date.parse(event.time), cpu: cpu(), tag });
                mark('inbox add start', tag);
                try {
                  return await (value as (e: unknown) => Promise<unknown>).call(target, entry);
                } finally {
                  mark('inbox add end', tag);
                }
              };
            },
          }),
        },
      };
    },
    print: () => undefined,
    cwd: work,
  });
  const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  const configured = await fetch(`${stack.apiUrl}/v1/repositories/${REPOSITORY}/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ requiredPlatforms: ['linux/amd64', 'linux/arm64'], tagPattern: TAG_PATTERN }),
  });
  if (!configured.ok) throw new Error(`configuring failed: ${configured.status}`);

  const dynaliteCpu = (): number => processCpuMs(stack.dynalitePid);
  const cpuStart = cpu();
  const dynaliteStart = dynaliteCpu();
  const go = { epoch: epoch(), hrUs: Number(process.hrtime.bigint() / 1000n) };
  child.stdin!.write('go\n');
  const results: Array<{ version: string; answered: number; seen: number; polls: number }> = [];
  for (;;) {
    const line = await next();
    if (line.done === true) break;
    results.push(line as unknown as (typeof results)[number]);
  }
  // The echo of the last version's put may still be on its way.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  proxyChild.stdin!.end();
  const { requests } = JSON.parse(String((await proxyLines.next()).value)) as { requests: Record<string, number> };
  const runnerCpuPerVersion = (cpu() - cpuStart) / results.length;
  const dynaliteCpuPerVersion = (dynaliteCpu() - dynaliteStart) / results.length;
  await stack.stop();
  await registryProcess.stop();
  registryStorage.remove();
  rmSync(work, { recursive: true, force: true });

  // Each version's arm64 push: its points relative to the moment the push was answered.
  const table = new Map<string, { at: number[]; cpu: number[] }>();
  const add = (what: string, at: number, cpuMs: number) => {
    const row = table.get(what) ?? { at: [], cpu: [] };
    row.at.push(at);
    row.cpu.push(cpuMs);
    table.set(what, row);
  };
  for (const r of results) {
    const tag = `${r.version}-arm64`;
    const mine = points.filter((p) => p.tag === tag).sort((a, b) => a.at - b.at);
    // The webhook request that carried it: the last one before its inbox write.
    const added = mine.find((p) => p.what === 'inbox add start');
    const hook = points.filter((p) => p.what === 'webhook request' && added !== undefined && p.at <= added.at).at(-1);
    const answeredHook = points.find((p) => p.what === 'webhook answered' && added !== undefined && p.at >= added.at);
    const ordered = [...(hook ? [hook] : []), ...mine, ...(answeredHook ? [answeredHook] : [])].sort((a, b) => a.at - b.at);
    const seen = new Map<string, number>();
    let previousCpu = ordered[0]?.cpu ?? 0;
    for (const p of ordered) {
      const n = (seen.get(p.what) ?? 0) + 1;
      seen.set(p.what, n);
      add(n === 1 ? p.what : `${p.what} #${n}`, p.at - r.answered, p.what.startsWith('notification created') ? 0 : p.cpu - previousCpu);
      if (!p.what.startsWith('notification created')) previousCpu = p.cpu;
    }
    add('tag seen by the poller (5 ms)', r.seen - r.answered, 0);
  }
  const rows = [...table.entries()].sort((a, b) => percentile(a[1].at, 0.5) - percentile(b[1].at, 0.5));
  const latencies = results.map((r) => r.seen - r.answered);
  const out: string[] = [];
  out.push(
    `trace: ${results.length} versions, gap ${gapMs} ms, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  out.push(
    `latency p50 ${percentile(latencies, 0.5).toFixed(1)} / p90 ${percentile(latencies, 0.9).toFixed(1)} / p99 ${percentile(latencies, 0.99).toFixed(1)} ms`,
  );
  out.push(`runner CPU ${runnerCpuPerVersion.toFixed(1)} ms/version, dynalite ${dynaliteCpuPerVersion.toFixed(1)} ms/version`);
  out.push(
    `runner registry requests/version: ${JSON.stringify(Object.fromEntries(Object.entries(requests).map(([k, n]) => [k, n / results.length])))}`,
  );
  out.push('');
  out.push('| ms from the arm64 push answered, p50 (p10–p90) | runner CPU since the previous point, p50 ms | n | point |');
  out.push('| --- | --- | --- | --- |');
  for (const [what, row] of rows) {
    out.push(
      `| ${percentile(row.at, 0.5).toFixed(1)} (${percentile(row.at, 0.1).toFixed(1)} – ${percentile(row.at, 0.9).toFixed(1)}) | ${percentile(row.cpu, 0.5).toFixed(2)} | ${row.at.length} | ${what} |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (process.env.TRACE_RAW !== undefined) writeFileSync(process.env.TRACE_RAW, JSON.stringify({ go, points, results }));
  child.stdin!.end();
  // Exits (node's --cpu-prof writes its profile then) rather than wait for the pipes to drain.
  process.exit(0);
}
