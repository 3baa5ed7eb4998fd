import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDbVersionStore } from '../../src/adapters/dynamodb/dynamodb-version-store.ts';
import { OciHttpImageRegistry } from '../../src/adapters/oci-http/oci-http-image-registry.ts';
import { createDependencies } from '../../src/composition.ts';
import type { Descriptor, RawManifest } from '../../src/core/descriptor.ts';
import { isRetryable } from '../../src/core/errors.ts';
import type { Clock, Dependencies, ImageRegistry, VersionEvents, VersionStore } from '../../src/core/ports.ts';
import { type ReconcileReport, reconcileRepository } from '../../src/core/reconcile.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { ecrPushEvent as sharedEcrPushEvent } from '../support/ecr-event.ts';
import { CapturingLogger } from '../support/fakes.ts';
import type { Delivery, IndexPut } from '../support/invariants.ts';
import { SuiteTally } from './summary.ts';

/** Real-time pause (the suites run against real processes). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The seeds a suite runs: FAULT_SEED=7 replays one, FAULT_SEED=1..20 sweeps a range; otherwise the
 * suite's fixed seeds, plus one fresh seed per run outside CI (the seed is in every message).
 */
export function faultSeeds(fixed: readonly number[], fresh = true): number[] {
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(process.env.FAULT_SEED ?? '');
  if (match) {
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    return Array.from({ length: Math.min(to - from + 1, 1000) }, (_, i) => from + i);
  }
  // CI runs the fixed seeds only, so whether a submission lands does not depend on a draw; every
  // other run also tries one fresh seed, which is how new interleavings get explored.
  return fresh && process.env.CI === undefined ? [...fixed, Date.now() % 2 ** 31] : [...fixed];
}

/**
 * A real clock that can be moved forward (`advance`) and run faster than real time (`factor`):
 * leases of 30 s of this clock's time expire after 30/factor s, so "the publisher died, its lease
 * ran out" fits in a test. `sleep` sleeps the scaled real time.
 */
export class ScaledClock implements Clock {
  readonly #start = Date.now();
  #offset = 0;
  constructor(readonly factor = 1) {}
  now(): number {
    return this.#start + Math.round((Date.now() - this.#start) * this.factor) + this.#offset;
  }
  sleep(ms: number): Promise<void> {
    return sleep(Math.max(0, ms / this.factor));
  }
  advance(ms: number): void {
    this.#offset += ms;
  }
}

/**
 * The registry port with every index PUT counted (accepted ones in `puts`), and a hook called after
 * each accepted PUT: ECR sends a push event for our own put too, which the suites deliver.
 */
export class CountingRegistry implements ImageRegistry {
  readonly puts: IndexPut[] = [];
  /** Every PUT tried, accepted or not: one that failed at the client (a timeout) may still have landed. */
  readonly attemptedPuts: IndexPut[] = [];
  attempts = 0;
  onPut: ((tag: string, manifest: RawManifest) => void) | undefined;
  constructor(readonly inner: ImageRegistry) {}
  fetchManifest(repository: string, digest: string): Promise<RawManifest> {
    return this.inner.fetchManifest(repository, digest);
  }
  fetchBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    return this.inner.fetchBlob(repository, descriptor, maxBytes);
  }
  resolveTag(repository: string, tag: string): Promise<string | undefined> {
    return this.inner.resolveTag(repository, tag);
  }
  listTags(repository: string): Promise<string[]> {
    return this.inner.listTags(repository);
  }
  async putManifest(repository: string, tag: string, manifest: RawManifest): Promise<void> {
    this.attempts++;
    this.attemptedPuts.push({ tag, digest: manifest.digest });
    await this.inner.putManifest(repository, tag, manifest);
    this.puts.push({ tag, digest: manifest.digest });
    this.onPut?.(tag, manifest);
  }
}

/** The EventBridge "ECR Image Action" event ECR sends for a push (always with a media type and an id here). */
export function ecrPushEvent(
  repository: string,
  digest: string,
  tag: string | undefined,
  mediaType: string,
  id: string,
): Record<string, unknown> {
  return sharedEcrPushEvent(repository, digest, tag ?? '', { id, mediaType });
}

const lambdaContext = { awsRequestId: 'faults', functionName: 'on-image-push' } as unknown as Context;

/** The production path: the real on-image-push handler over OciHttpImageRegistry and DynamoDbVersionStore. */
export interface Stack {
  readonly deps: Dependencies;
  readonly registry: CountingRegistry;
  readonly store: VersionStore;
  readonly logger: CapturingLogger;
  handle(event: unknown): Promise<{ kind: string }>;
}

export function makeStack(options: {
  registryUrl: string;
  store: VersionStore;
  clock?: Clock;
  /** The adapter's per-request timeout; small when the proxy hangs calls. */
  timeoutMs?: number;
  logger?: CapturingLogger;
  wrapRegistry?: (registry: ImageRegistry) => ImageRegistry;
  wrapStore?: (store: VersionStore) => VersionStore;
  /** Where outcome events go (default: logged only). */
  events?: VersionEvents;
}): Stack {
  const logger = options.logger ?? new CapturingLogger();
  const registry = new CountingRegistry(new OciHttpImageRegistry({ baseUrl: options.registryUrl, timeoutMs: options.timeoutMs ?? 10_000 }));
  const deps = createDependencies({
    registry: options.wrapRegistry ? options.wrapRegistry(registry) : registry,
    store: options.wrapStore ? options.wrapStore(options.store) : options.store,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  const handler = createOnImagePushHandler(deps, { timeoutEarlyInMillis: 0 });
  return { deps, registry, store: options.store, logger, handle: (event) => handler(event, lambdaContext) as Promise<{ kind: string }> };
}

export function makeDynamoStore(
  client: ConstructorParameters<typeof DynamoDbVersionStore>[0]['client'],
  tableName: string,
): DynamoDbVersionStore {
  return new DynamoDbVersionStore({ client, tableName });
}

/**
 * What every fault suite sets up once: one dynalite table its cases share (each case uses its own
 * repositories), and its figures, recorded when the suite ends, before the client is destroyed.
 * Call at the top of a suite's file; `store()` is usable inside its tests.
 */
export function faultSuite(options: { suite: string; seeds: readonly (number | string)[]; tablePrefix: string }): {
  readonly tally: SuiteTally;
  readonly store: () => DynamoDbVersionStore;
} {
  const tally = new SuiteTally(options.suite, options.seeds);
  let client: DynamoDBClient | undefined;
  let tableName: string | undefined;
  beforeAll(async () => {
    client = makeDynamoClient();
    tableName = await createUniqueTable(client, options.tablePrefix);
  });
  afterAll(() => {
    tally.record();
    client?.destroy();
  });
  const store = () => {
    if (client === undefined || tableName === undefined)
      throw new Error(`${options.suite}: store() is for tests, after the suite's table exists`);
    return makeDynamoStore(client, tableName);
  };
  return { tally, store };
}

export interface DeliveryOptions {
  readonly random: () => number;
  /** Attempts per event, as Lambda's async retries plus a redrive would give. */
  readonly maxAttempts?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * Delivers one event as Lambda does: an invocation that throws something retryable is invoked again
 * after a back-off, up to `maxAttempts`; what still fails (or fails for good) is dead-lettered.
 * Every attempt is appended to `deliveries` with a unique id, so each can be matched to its log line.
 */
export async function deliverWithRetry(
  stack: Stack,
  base: { repository: string; digest: string; tag: string | undefined; mediaType: string; id: string },
  deliveries: Delivery[],
  options: DeliveryOptions,
): Promise<string> {
  const maxAttempts = options.maxAttempts ?? 12;
  for (let attempt = 1; ; attempt++) {
    const eventId = `${base.id}.a${attempt}`;
    try {
      const result = await stack.handle(ecrPushEvent(base.repository, base.digest, base.tag, base.mediaType, eventId));
      deliveries.push({ eventId, tag: base.tag, digest: base.digest, outcome: result.kind, final: true });
      return result.kind;
    } catch (error) {
      const final = attempt >= maxAttempts || !isRetryable(error);
      deliveries.push({ eventId, tag: base.tag, digest: base.digest, outcome: 'thrown', final });
      if (final) return 'thrown';
      const backoff = Math.min((options.baseBackoffMs ?? 50) * 2 ** (attempt - 1), options.maxBackoffMs ?? 1_000);
      await sleep(backoff / 2 + options.random() * (backoff / 2));
    }
  }
}

/** Runs reconcileRepository page by page until it reaches the end (bounded). */
export async function reconcileToEnd(deps: Dependencies, repository: string, maxPages = 20): Promise<ReconcileReport[]> {
  const reports: ReconcileReport[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const report: ReconcileReport = await reconcileRepository(deps, repository, { cursor });
    reports.push(report);
    cursor = report.cursor;
    if (cursor === null) return reports;
  }
  throw new Error(`reconcile of ${repository} did not reach the end in ${maxPages} pages`);
}

/** Sums what a series of reconcile pages found. */
export function reconcileFindings(reports: readonly ReconcileReport[]): { recovered: string[]; published: string[]; failures: string[] } {
  return {
    recovered: reports.flatMap((r) => r.pushesRecovered),
    published: reports.flatMap((r) => r.published),
    failures: reports.flatMap((r) => r.failures.map((f) => `${f.what}: ${f.error}`)),
  };
}

/**
 * Keeps track of fire-and-forget tasks (deliveries scheduled by pushes, by our own puts) so a suite
 * can wait for quiescence: no task running and none being started.
 */
export class TaskSet {
  readonly #running = new Set<Promise<unknown>>();
  readonly errors: unknown[] = [];
  spawn(task: () => Promise<unknown>): void {
    const promise = task().catch((error: unknown) => {
      this.errors.push(error);
    });
    this.#running.add(promise);
    void promise.finally(() => this.#running.delete(promise));
  }
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#running.size > 0) {
      if (Date.now() > deadline) throw new Error(`${this.#running.size} tasks still running after ${timeoutMs} ms`);
      await Promise.race([Promise.allSettled([...this.#running]), sleep(250)]);
    }
  }
}
