import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { reconcileAll } from '../../src/core/reconcile-all.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { seededRandom } from '../support/fakes.ts';
import { pushImage } from '../support/images.ts';
import { checkDeliveries, checkRegistryState } from '../support/invariants.ts';
import { findFreePort, type RunningRegistry, startRegistry } from '../support/registry-process.ts';
import { faultSeeds, makeDynamoStore, makeStack, ScaledClock, sleep } from './harness.ts';
import { runScenario, scenarioConfig } from './scenario.ts';
import { addCounts, SuiteTally } from './summary.ts';

// Suite 3 of issue 4: the processes around the service restart. dynalite is stopped and restarted
// (killed, same port, same LevelDB folder) while events are being handled; the registry is restarted while
// its notifications are still queued in memory, so they are never delivered, and a reconcile pass
// must find and publish what they announced.

const registryUrl = inject('registryUrl');
const SEEDS = faultSeeds([3]);
// Each case starts its own dynalite (or registry) to stop it, so there is no shared table here.
const tally = new SuiteTally('restarts', SEEDS);
afterAll(() => tally.record());

/**
 * dynalite in a child process on a fixed port of 127.0.0.1, persisted in `path`, so a restart finds
 * its data again. A child, not in-process: killing it is what a crash is, and dynalite run in-process
 * throws uncaught errors from requests still queued when its database is closed.
 */
async function startDynaliteAt(port: number, path: string): Promise<ChildProcess> {
  const script = `require('dynalite')({ path: ${JSON.stringify(path)}, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }).listen(${port}, '127.0.0.1')`;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`dynalite exited (${child.exitCode}): ${stderr}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
      await response.body?.cancel();
      return child;
    } catch {
      await sleep(50);
    }
  }
  child.kill('SIGKILL');
  throw new Error(`dynalite did not answer on port ${port} within 10 s: ${stderr}`);
}

/** Kills dynalite without warning (SIGKILL), as a crash would; its LevelDB folder stays. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

describe('dynalite stopped and restarted mid-flight', () => {
  it.each(SEEDS)('seed %i: events handled across the outages converge; invariants hold', async (seed) => {
    const dir = await mkdtemp(join(tmpdir(), 'faults-dynalite-'));
    const port = await findFreePort();
    let server = await startDynaliteAt(port, dir);
    const client = makeDynamoClient(`http://127.0.0.1:${port}`);
    try {
      const tableName = await createUniqueTable(client, 'faults-restart');
      // Ten times faster than real time: a lease left by a process cut off from dynalite expires in 3 s.
      const clock = new ScaledClock(10);
      const store = makeDynamoStore(client, tableName);
      const stack = makeStack({ registryUrl, store, clock });
      const repository = `faults/dynalite-${seed}-${Math.floor(Math.random() * 1e6)}`;
      const config = scenarioConfig(['amd64', 'arm64', 'arm']);
      await store.putRepositoryConfig(repository, config);

      const chaosRandom = seededRandom(seed ^ 0xc4a05);
      const outages: number[] = [];
      const chaos = (async () => {
        for (let i = 0; i < 2; i++) {
          await sleep(150 + chaosRandom() * 600);
          await stopServer(server);
          const down = Math.floor(300 + chaosRandom() * 1_200);
          await sleep(down);
          server = await startDynaliteAt(port, dir);
          outages.push(down);
        }
      })();
      const run = await runScenario(stack, {
        registryUrl,
        repository,
        seed,
        random: seededRandom(seed),
        versions: 6,
        arches: ['amd64', 'arm64', 'arm'],
        incompleteVersions: 1,
        rebuildChance: 0.3,
        duplicateChance: 0.3,
        buildxChance: 0.2,
        maxDelayMs: 300,
        delivery: { maxAttempts: 25, baseBackoffMs: 100, maxBackoffMs: 1_000 },
      });
      await chaos;
      expect(outages, `seed ${seed}: both outages happened`).toHaveLength(2);

      const state = await checkRegistryState({
        registryUrl,
        repository,
        config,
        store,
        seed,
        nowMs: clock.now(),
        indexPuts: stack.registry.puts,
        indexPutAttempts: stack.registry.attemptedPuts,
        expectIncomplete: run.incomplete,
        forbidLeftoverLeases: false,
      });
      const lost = checkDeliveries(run.deliveries, stack.logger.lines, seed);
      expect([...state.violations, ...lost], `seed ${seed}: replay with FAULT_SEED=${seed}; outages ${outages.join(', ')} ms`).toEqual([]);
      const thrown = run.deliveries.filter((d) => d.outcome === 'thrown').length;
      console.log(
        `[faults] dynalite restarts seed ${seed}: outages ${outages.join(', ')} ms; ${run.events} events, ${run.deliveries.length} deliveries (${thrown} failed and were redelivered), ${state.indexPuts} index PUTs of ${state.distinctIndexes} indexes, ${state.leasesLeft} leases left to expire`,
      );

      tally.addRun(run);
      tally.addPuts(state);
      addCounts(tally.faults, {
        'dynalite killed and restarted': outages.length,
        'leases left by a process cut off from dynalite': state.leasesLeft,
      });
    } finally {
      client.destroy();
      await stopServer(server).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A notification endpoint that refuses (500) until told to accept, counting both. */
async function startReceiver(): Promise<{ url: string; refused: number; accepted: string[]; accept(): void; close(): Promise<void> }> {
  let accepting = false;
  const state = {
    url: '',
    refused: 0,
    accepted: [] as string[],
    accept: () => {
      accepting = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (!accepting) {
        state.refused++;
        res.writeHead(500).end();
        return;
      }
      state.accepted.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
  return state;
}

describe('the registry restarted with notifications pending', () => {
  it('loses the queued events; a reconcile pass recovers every push and publishes', async () => {
    const receiver = await startReceiver();
    const dataDir = await mkdtemp(join(tmpdir(), 'faults-registry-'));
    const port = await findFreePort();
    const notify = { notificationUrl: receiver.url, notificationSecret: 'faults-secret' };
    let registry: RunningRegistry | undefined = await startRegistry({ port, dataDir, ...notify });
    const client = makeDynamoClient();
    try {
      const repository = `faults/lost-notifications-${Math.floor(Math.random() * 1e6)}`;
      const versions = ['3.0', '3.1', '3.2'];
      const tags: string[] = [];
      for (const version of versions) {
        for (const arch of ['amd64', 'arm64'] as const) {
          await pushImage(registry.url, repository, `${version}-${arch}`, {
            arch,
            format: version === '3.1' ? 'docker' : 'oci',
            label: version,
          });
          tags.push(`${version}-${arch}`);
        }
      }
      // A rebuild: only its image may end up in the index.
      await pushImage(registry.url, repository, '3.2-arm64', { arch: 'arm64', format: 'oci', label: '3.2-rebuilt' });
      for (let i = 0; i < 100 && receiver.refused === 0; i++) await sleep(100);
      expect(receiver.refused, 'the registry tried to deliver its notifications').toBeGreaterThan(0);

      await registry.stop();
      registry = undefined;
      receiver.accept();
      registry = await startRegistry({ port, dataDir, ...notify });
      // Long enough for the registry's 1 s back-off to have sent anything it still had.
      await sleep(2_500);
      expect(receiver.accepted, 'the restarted registry delivers none of the queued events').toEqual([]);
      addCounts(tally.faults, { 'registry notifications lost in a restart': tags.length + 1 });

      const tableName = await createUniqueTable(client, 'faults-lost');
      const store = makeDynamoStore(client, tableName);
      const config = scenarioConfig(['amd64', 'arm64']);
      await store.putRepositoryConfig(repository, config);
      const stack = makeStack({ registryUrl: registry.url, store });
      const reports = await reconcileAll(stack.deps, { deadline: Date.now() + 30_000 });
      expect(reports.flatMap((r) => r.failures)).toEqual([]);
      expect(reports.flatMap((r) => r.pushesRecovered).sort()).toEqual([...tags].sort());
      // Each recovered push is recorded through recordPush, which publishes the version once complete.
      expect(
        stack.logger.lines
          .filter((l) => l.message === 'published')
          .map((l) => l.fields.version)
          .sort(),
      ).toEqual(versions);

      const state = await checkRegistryState({
        registryUrl: registry.url,
        repository,
        config,
        store,
        seed: 'registry restart',
        nowMs: Date.now(),
        indexPuts: stack.registry.puts,
        indexPutAttempts: stack.registry.attemptedPuts,
        maxPutsPerIndex: 1,
      });
      expect(state.violations).toEqual([]);
      expect(state.complete).toBe(versions.length);
      const again = await reconcileAll(stack.deps, { deadline: Date.now() + 30_000 });
      expect(
        again.flatMap((r) => [...r.pushesRecovered, ...r.published, ...r.failures.map((f) => f.error)]),
        'a second pass finds nothing',
      ).toEqual([]);
      expect(checkDeliveries([], stack.logger.lines, 'registry restart')).toEqual([]);

      tally.versions += versions.length;
      tally.addPuts(state);
    } finally {
      client.destroy();
      await registry?.stop();
      await receiver.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
