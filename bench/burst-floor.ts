// What a burst's pushes alone take on this machine (the floor under any tool's burst time), next to
// the docker workflow's burst in the same run. Not part of `npm run bench`:
//   npx tsx bench/burst-floor.ts [versions=50] [pushers=10]
// Three registries' worth of runs, interleaved: the registry without notifications, the registry
// notifying an endpoint that answers 200 at once (distribution's delivery alone), and the docker
// workflow (bench/pusher.ts, as `npm run bench` runs it).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { findFreePort, startRegistry } from '../test/support/registry-process.ts';
import { pushBenchImage } from './bench-http.ts';
import type { BurstResult } from './pusher.ts';
import { benchRegistryDataDir } from './registry-storage.ts';

const versions = Number(process.argv[2] ?? 50);
const pushers = Number(process.argv[3] ?? 10);
const rounds = Number(process.env.FLOOR_ROUNDS ?? 3);

let delivered = 0;
const sink = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    delivered++;
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
const sinkPort = await findFreePort();
await new Promise<void>((resolve) => sink.listen(sinkPort, '127.0.0.1', resolve));

async function withRegistry<T>(notify: boolean, body: (url: string) => Promise<T>): Promise<T> {
  const storage = benchRegistryDataDir();
  const registry = await startRegistry({
    ...(notify ? { notificationUrl: `http://127.0.0.1:${sinkPort}/v1/hooks/registry`, notificationSecret: 's' } : {}),
    dataDir: storage.dir,
  });
  try {
    return await body(registry.url);
  } finally {
    await registry.stop();
    storage.remove();
  }
}

async function pushBurst(url: string, prefix: string): Promise<number> {
  const queue = Array.from({ length: versions }, (_, i) => `${prefix}.${i}.0`);
  const started = performance.now();
  const worker = async () => {
    for (let v = queue.shift(); v !== undefined; v = queue.shift()) {
      const version = v;
      await Promise.all(
        (['amd64', 'arm64'] as const).map((arch) =>
          pushBenchImage(url, 'bench/burst', `${version}-${arch}`, { arch, format: 'oci', label: `bench/burst:${version}` }),
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: pushers }, worker));
  return (performance.now() - started) / 1000;
}

function dockerBurst(url: string, run: number): Promise<BurstResult> {
  const job = {
    kind: 'burst',
    tool: 'docker',
    registryUrl: url,
    anchorHost: url.replace('http://', ''),
    repository: 'bench/anchor-docker',
    versions: Array.from({ length: versions }, (_, i) => `${200 + run}.${i}.0`),
    pushers,
    pollMs: 50,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx'),
      [join(import.meta.dirname, 'pusher.ts'), JSON.stringify(job)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')) : reject(new Error(`pusher ${code}`)),
    );
  });
}

for (let run = 0; run < rounds; run++) {
  const alone = await withRegistry(false, (url) => pushBurst(url, `${100 + run}`));
  delivered = 0;
  const nullEndpoint = await withRegistry(true, async (url) => {
    const pushed = await pushBurst(url, `${100 + run}`);
    const expected = versions * 2;
    const t0 = performance.now();
    while (delivered < expected && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 5));
    return { pushed, deliveredAt: pushed + (performance.now() - t0) / 1000 };
  });
  const docker = await withRegistry(false, (url) => dockerBurst(url, run));
  console.log(
    JSON.stringify({
      run,
      pushesAloneS: alone,
      nullEndpoint: nullEndpoint,
      docker: { seconds: docker.seconds },
      half: docker.seconds / 2,
    }),
  );
}
sink.close();
