// What a version rebuilt many times costs (a rolling version such as `main` or `nightly`, whose
// per-arch tags every CI run pushes again), against new versions, on the local stack as in use.
// Not part of `npm run bench`:
//   npx tsx bench/rolling-version.ts [versions per phase=30]
// The runner (`manifest-assembler start`) and its dynalite child as `npm run bench` starts them, the
// registry on tmpfs. Pushes one version at a time (amd64, then arm64, then wait for the version tag to
// hold a new index, timed from the arm64 push's answer as `npm run bench` times its latency) and reads
// the runner's and dynalite's CPU from /proc, outside each, per phase:
// new versions, then one version rebuilt over and over (4 history entries per rebuild: two pushes and
// two publishes, since the amd64 push republishes with the arm64 image the version had; its history
// reaches HISTORY_LIMIT = 100 entries during the second phase and stays there), new versions again,
// the rolling version again.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../test/support/images.ts';
import { startRegistry } from '../test/support/registry-process.ts';
import { benchRequest, pushBenchImage } from './bench-http.ts';
import { summarise } from './harness.ts';
import { processCpuMs } from './process-cpu.ts';
import { benchRegistryDataDir } from './registry-storage.ts';
import { prepareRunnerDataDir } from './runner-data-dir.ts';
import { configureRepository, dynalitePid, startRunner, stopProcess, waitForHealth } from './runner-process.ts';

const perPhase = Number(process.argv[2] ?? 30);
const REPOSITORY = 'bench/rolling';
const INDEX = 'application/vnd.oci.image.index.v1+json';

const { work, dataDir, apiPort, notifications } = await prepareRunnerDataDir('ma-rolling-');
const storage = benchRegistryDataDir();
const registry = await startRegistry({ ...notifications, dataDir: storage.dir });
const runner = startRunner({ DATA_DIR: dataDir, API_PORT: String(apiPort), REGISTRY_URL: registry.url });
try {
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitForHealth(apiUrl, runner);
  const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  const dynalite = dynalitePid(runner.pid ?? -1);
  await configureRepository(apiUrl, token, REPOSITORY, '^(?<version>[a-z0-9.]+)-(?<platform>amd64|arm64)$');

  // Whether the version tag holds an index that references `digest` (the arm64 image just pushed).
  const indexReferences = async (tag: string, digest: string): Promise<boolean> => {
    const answer = await benchRequest('GET', `${registry.url}/v2/${REPOSITORY}/manifests/${tag}`, { headers: { accept: INDEX } });
    return answer.status === 200 && answer.body.toString('utf8').includes(`"${digest}"`);
  };
  // A new label is a rebuild: new config, new digests for both platforms.
  // Returns the latency as `npm run bench` times it: from the arm64 push answered to the tag holding the new index.
  // A rebuild's amd64 push already republishes the version (with the arm64 image it had: a rebuild of
  // one architecture republishes), so the version is done once its index references the new arm64.
  const pushVersion = async (version: string, label: string): Promise<number> => {
    for (const arch of ['amd64', 'arm64'] as const)
      await pushBenchImage(registry.url, REPOSITORY, `${version}-${arch}`, { arch, format: 'oci', label });
    const answered = performance.now();
    const arm64 = buildImage({ arch: 'arm64', format: 'oci', label }).digest;
    for (;;) {
      if (await indexReferences(version, arm64)) break;
      if (performance.now() > answered + 30_000) throw new Error(`${REPOSITORY}:${version} (${label}) was not published within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const latencyMs = performance.now() - answered;
    // The echo of the index put reaches the runner after the tag moved: let it settle inside the phase.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return latencyMs;
  };
  const phase = async (what: string, versionAndLabel: (i: number) => [string, string]): Promise<void> => {
    const runnerBefore = processCpuMs(runner.pid ?? -1);
    const dynaliteBefore = processCpuMs(dynalite);
    const latencies: number[] = [];
    for (let i = 0; i < perPhase; i++) latencies.push(await pushVersion(...versionAndLabel(i)));
    const runnerMs = (processCpuMs(runner.pid ?? -1) - runnerBefore) / perPhase;
    const dynaliteMs = (processCpuMs(dynalite) - dynaliteBefore) / perPhase;
    console.log(
      `| ${what} | ${runnerMs.toFixed(1)} ms | ${dynaliteMs.toFixed(1)} ms | ${summarise('latency', latencies).p50Ms.toFixed(0)} ms |`,
    );
  };

  console.log(`CPU per version (${perPhase} versions a phase, after ${2 * perPhase} new versions to warm up):\n`);
  console.log('| phase | runner CPU | dynalite CPU | latency p50 |\n| --- | --- | --- | --- |');
  for (let i = 0; i < 2 * perPhase; i++) await pushVersion(`0.${i}`, 'warm-up');
  await phase('new versions', (i) => [`1.${i}`, 'new']);
  await phase('`main` rebuilt, its history growing', (i) => ['main', `a${i}`]);
  await phase('`main` rebuilt, history full (100 entries)', (i) => ['main', `b${i}`]);
  await phase('new versions', (i) => [`2.${i}`, 'new']);
  await phase('`main` rebuilt, history full (100 entries)', (i) => ['main', `c${i}`]);
} finally {
  await stopProcess(runner);
  await registry.stop();
  storage.remove();
  rmSync(work, { recursive: true, force: true });
}
