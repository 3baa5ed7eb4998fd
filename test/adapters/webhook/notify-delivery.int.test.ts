import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTable } from '../../../src/adapters/dynamodb/dynamodb-table.ts';
import { DynamoDbOutbox } from '../../../src/adapters/webhook/dynamodb-outbox.ts';
import { NotifyDelivery } from '../../../src/adapters/webhook/notify-delivery.ts';
import { OutboxVersionEvents } from '../../../src/adapters/webhook/outbox-version-events.ts';
import type { VersionEvent } from '../../../src/core/version-events.ts';
import { type RunningDynalite, startDynalite } from '../../../src/local/dynalite/dynalite-server.ts';
import { EventReceiver, hasValidSignature } from '../../support/event-receiver.ts';
import { eventually } from '../../support/eventually.ts';
import { CapturingLogger } from '../../support/fakes.ts';

// The local runner's event path against real parts: the outbox on dynalite (persisted in a folder),
// deliveries over HTTP to a real receiver.

const TABLE = 'notify-test';
const SECRET = 'test-secret-0123456789';
const REGISTRY_URL = 'http://127.0.0.1:5000';
const FAST = { firstRetryMs: 20, pollMs: 20 };

const event: VersionEvent = {
  id: '2b9e6a41-0c3d-8f7e-9a1b-5c6d7e8f9a0b',
  outcome: 'published',
  time: '2026-11-27T10:00:01.000Z',
  data: {
    repository: 'team/hello',
    version: '2.7',
    state: 'published',
    digest: `sha256:${'1'.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    tags: ['2.7'],
    platforms: ['linux/amd64', 'linux/arm64'],
    missingPlatforms: [],
    error: null,
    revision: 2,
  },
};

interface Runner {
  dynalite: RunningDynalite;
  client: DynamoDBClient;
  delivery: NotifyDelivery;
  events: OutboxVersionEvents;
  stop(): Promise<void>;
}

/** What the local runner wires, on a data folder: dynalite, the outbox, the delivery worker. */
async function startRunner(dir: string, urls: string[], logger = new CapturingLogger()): Promise<Runner> {
  const dynalite = await startDynalite(dir);
  const client = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  await ensureTable(client, TABLE);
  const outbox = new DynamoDbOutbox({ client, tableName: TABLE });
  const delivery = new NotifyDelivery({ outbox, urls, secret: SECRET, logger, timing: FAST });
  const events = new OutboxVersionEvents({ outbox, urls, registryUrl: REGISTRY_URL, logger, onQueued: () => delivery.wake() });
  delivery.start();
  return {
    dynalite,
    client,
    delivery,
    events,
    stop: async () => {
      await delivery.stop();
      client.destroy();
      await dynalite.stop();
    },
  };
}

describe('local event delivery (outbox on dynalite, HTTP receiver)', () => {
  let dir: string;
  let receiver: EventReceiver;
  let runner: Runner | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notify-'));
    receiver = await new EventReceiver().start();
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('POSTs a signed CloudEvents 1.0 structured JSON event', async () => {
    runner = await startRunner(dir, [receiver.url]);
    await runner.events.announce(event);
    const [request] = await eventually(() => (receiver.requests.length > 0 ? receiver.requests : undefined), 'the delivery');
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/events');
    expect(request!.headers['content-type']).toBe('application/cloudevents+json');
    expect(hasValidSignature(request!, SECRET)).toBe(true);
    expect(hasValidSignature(request!, 'another secret')).toBe(false);
    expect(JSON.parse(request!.body)).toEqual({
      specversion: '1.0',
      id: event.id,
      source: REGISTRY_URL,
      type: 'io.manifest-assembler.version.published',
      subject: 'team/hello:2.7',
      time: '2026-11-27T10:00:01.000Z',
      datacontenttype: 'application/json',
      data: { ...event.data, registry: '127.0.0.1:5000' },
    });
    expect(Object.keys(JSON.parse(request!.body).data)).toEqual([
      'repository',
      'version',
      'state',
      'digest',
      'mediaType',
      'tags',
      'platforms',
      'missingPlatforms',
      'error',
      'registry',
      'revision',
    ]);
    await eventually(
      async () => ((await new DynamoDbOutbox({ client: runner!.client, tableName: TABLE }).list()).length === 0 ? true : undefined),
      'the outbox to empty',
    );
  });

  it('retries a receiver that fails twice, with back-off, and delivers the same id and bytes; then stops', async () => {
    const logger = new CapturingLogger();
    receiver.failNext(2, 503);
    runner = await startRunner(dir, [receiver.url], logger);
    await runner.events.announce(event);
    await eventually(() => (receiver.accepted().length === 1 ? true : undefined), 'the third attempt to be accepted');
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 204]);
    expect(new Set(receiver.requests.map((r) => JSON.parse(r.body).id))).toEqual(new Set([event.id]));
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    const retries = logger.lines.filter((l) => l.message.startsWith('notify: delivery failed'));
    expect(retries.map((l) => [l.fields.error, l.fields.retryInMs])).toEqual([
      ['HTTP 503', 20],
      ['HTTP 503', 40],
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain(SECRET);
    // Delivered once: nothing more arrives on later passes.
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.requests).toHaveLength(3);
  });

  it('queues the same event once per URL, however often it is announced', async () => {
    const other = await new EventReceiver().start('/hook');
    try {
      runner = await startRunner(dir, [receiver.url, other.url]);
      await Promise.all([runner.events.announce(event), runner.events.announce(event)]);
      await eventually(() => (receiver.accepted().length === 1 && other.accepted().length === 1 ? true : undefined), 'both deliveries');
      await new Promise((r) => setTimeout(r, 100));
      expect([receiver.requests.length, other.requests.length]).toEqual([1, 1]);
    } finally {
      await other.stop();
    }
  });

  it('keeps an undelivered event across a restart on the same data folder and delivers it then, same id', async () => {
    const url = receiver.url;
    await receiver.stop(); // nothing listens: connection refused
    runner = await startRunner(dir, [url]);
    await runner.events.announce(event);
    const outbox = () => new DynamoDbOutbox({ client: runner!.client, tableName: TABLE }).list();
    await eventually(async () => ((await outbox())[0]?.attempts ?? 0) >= 1 || undefined, 'a failed attempt');
    await runner.stop();
    runner = undefined;

    receiver = await new EventReceiver().start('/events', Number(new URL(url).port));
    runner = await startRunner(dir, [url]);
    const [request] = await eventually(
      () => (receiver.accepted().length > 0 ? receiver.accepted() : undefined),
      'the delivery after the restart',
    );
    expect(JSON.parse(request!.body).id).toBe(event.id);
    expect(hasValidSignature(request!, SECRET)).toBe(true);
    await eventually(async () => ((await outbox()).length === 0 ? true : undefined), 'the outbox to empty');
  });

  it('drops, with a warning, deliveries to a URL NOTIFY_URL no longer lists', async () => {
    runner = await startRunner(dir, ['http://127.0.0.1:9/gone']);
    await runner.events.announce(event);
    await runner.stop();
    const logger = new CapturingLogger();
    runner = await startRunner(dir, [receiver.url], logger);
    await eventually(() => (logger.messages('warn').some((m) => m.startsWith('notify: dropped')) ? true : undefined), 'the drop');
    expect(await new DynamoDbOutbox({ client: runner.client, tableName: TABLE }).list()).toEqual([]);
    expect(receiver.requests).toEqual([]);
  });
});
