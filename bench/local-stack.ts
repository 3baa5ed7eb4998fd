import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../src/local/main.ts';
import { pushImage, type TestArch } from '../test/support/images.ts';
import { findFreePort } from '../test/support/registry-process.ts';
import { summarise, type Timing } from './harness.ts';

export interface StackFigures {
  readonly timings: Timing[];
  readonly readyMs: number;
  readonly throughput: { versions: number; pushes: number; seconds: number; versionsPerSecond: number };
  readonly runnerRssMiB: number;
  readonly registryRssMiB: number;
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

async function waitForTag(registryUrl: string, repository: string, tag: string, timeoutMs = 10_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json' },
    });
    const digest = response.headers.get('docker-content-digest');
    if (response.ok && digest) return digest;
    if (performance.now() > deadline) throw new Error(`${repository}:${tag} was not published within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * The number users feel: from the moment the last per-arch push completes (the registry answered the
 * manifest PUT) until the version tag resolves, through the real registry, webhook, handlers and dynalite.
 */
export async function benchLocalStack(options: { versions: number; concurrentVersions: number }): Promise<StackFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ma-bench-'));
  const stack = await startLocalStack({
    env: { ...process.env, DATA_DIR: dataDir, REGISTRY_PORT: String(await findFreePort()), API_PORT: String(await findFreePort()), LOG_LEVEL: 'warn' },
    standalone: false,
    print: () => {},
  });
  try {
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' } });
    const configured = await api('/v1/repositories/bench/hello/config', {
      method: 'PUT',
      body: JSON.stringify({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }),
    });
    if (!configured.ok) throw new Error(`config failed: ${configured.status} ${await configured.text()}`);

    // Sequential: one version at a time, latency after the last push.
    const latencies: number[] = [];
    const endToEnd: number[] = [];
    for (let i = 0; i < options.versions; i++) {
      const version = `1.${i}`;
      await pushImage(stack.registryUrl, 'bench/hello', `${version}-amd64`, { arch: 'amd64', format: 'oci', label: version });
      const startLast = performance.now();
      await pushImage(stack.registryUrl, 'bench/hello', `${version}-arm64`, { arch: 'arm64', format: 'oci', label: version });
      const pushed = performance.now();
      await waitForTag(stack.registryUrl, 'bench/hello', version);
      const published = performance.now();
      latencies.push(published - pushed);
      endToEnd.push(published - startLast);
    }

    // Concurrent: many versions pushed at once, both platforms of each in parallel.
    const arches: TestArch[] = ['amd64', 'arm64'];
    const count = options.versions * 2;
    const started = performance.now();
    for (let batch = 0; batch < count; batch += options.concurrentVersions) {
      const versions = Array.from({ length: Math.min(options.concurrentVersions, count - batch) }, (_, i) => `2.${batch + i}`);
      await Promise.all(versions.flatMap((v) => arches.map((arch) => pushImage(stack.registryUrl, 'bench/hello', `${v}-${arch}`, { arch, format: 'oci', label: v }))));
      await Promise.all(versions.map((v) => waitForTag(stack.registryUrl, 'bench/hello', v, 60_000)));
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      timings: [
        summarise('last per-arch push answered → version tag published', latencies),
        summarise('last per-arch push started (blobs + manifest) → version tag published', endToEnd),
      ],
      readyMs: stack.readyMs,
      throughput: { versions: count, pushes: count * 2, seconds, versionsPerSecond: count / seconds },
      runnerRssMiB: process.memoryUsage().rss / 2 ** 20,
      registryRssMiB: rssMiB(stack.registryPid),
    };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
