import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypes } from '../../src/core/media-types.ts';
import { type LocalStack, startLocalStack } from '../../src/local/main.ts';
import { EventReceiver, hasValidSignature } from '../support/event-receiver.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage } from '../support/images.ts';
import { requestLocalApi } from '../support/local-stack.ts';
import { findFreePort } from '../support/registry-process.ts';

// The whole local runner with NOTIFY_URL: real registry pushes, the same handlers, a real receiver.

describe('the local runner with NOTIFY_URL', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let stack: LocalStack | undefined;
  let receiver: EventReceiver;
  const printed: string[] = [];

  const start = async () => {
    stack = await startLocalStack({ env, standalone: false, print: (text) => printed.push(text) });
    return stack;
  };
  const api = (method: string, path: string, body?: unknown) => requestLocalApi(stack!, method, path, body);
  const tagDigest = async (tag: string) =>
    (
      await fetch(`${stack!.registryUrl}/v2/team/hello/manifests/${tag}`, { method: 'HEAD', headers: { accept: MediaTypes.ociIndex } })
    ).headers.get('docker-content-digest');
  const secret = async () => (await readFile(join(dataDir, 'notify-secret'), 'utf8')).trim();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-events-'));
    receiver = await new EventReceiver().start();
    const registryPort = await findFreePort();
    let apiPort = await findFreePort();
    while (apiPort === registryPort) apiPort = await findFreePort();
    env = {
      REGISTRY_PORT: String(registryPort),
      API_PORT: String(apiPort),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      RECONCILE_INTERVAL: '0',
      NOTIFY_URL: receiver.url,
    };
    await start();
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates notify-secret 0600 at first start, names it and the URL in the banner, never prints the secret', async () => {
    expect(await secret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(dataDir, 'notify-secret'))).mode & 0o777).toBe(0o600);
    const output = printed.join('');
    expect(output).toContain(`events     POST ${receiver.url}   signed with: ${join(dataDir, 'notify-secret')}`);
    expect(output).not.toContain(await secret());
  });

  it('POSTs one signed CloudEvent when a version is published, naming the index its tag holds', async () => {
    expect((await api('PUT', '/v1/repositories/team/hello/config', { requiredPlatforms: ['linux/amd64', 'linux/arm64'] })).status).toBe(
      200,
    );
    await pushImage(stack!.registryUrl, 'team/hello', '2.7-amd64', { arch: 'amd64', format: 'oci' });
    await pushImage(stack!.registryUrl, 'team/hello', '2.7-arm64', { arch: 'arm64', format: 'oci' });
    const [request] = await eventually(() => (receiver.accepted().length > 0 ? receiver.accepted() : undefined), 'the published event');
    expect(request!.headers['content-type']).toBe('application/cloudevents+json');
    expect(hasValidSignature(request!, await secret())).toBe(true);
    const body = JSON.parse(request!.body);
    expect(body).toMatchObject({
      specversion: '1.0',
      source: stack!.registryUrl,
      type: 'io.manifest-assembler.version.published',
      subject: 'team/hello:2.7',
      datacontenttype: 'application/json',
      data: {
        repository: 'team/hello',
        version: '2.7',
        state: 'published',
        digest: await tagDigest('2.7'),
        tags: ['2.7'],
        platforms: ['linux/amd64', 'linux/arm64'],
        missingPlatforms: [],
        error: null,
        registry: new URL(stack!.registryUrl).host,
      },
    });
    // Duplicate notifications and a reconcile pass change nothing: still one event.
    expect((await api('POST', '/v1/reconcile')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(1);
  });

  it('keeps an event the receiver refused across a restart, and delivers it then with the same id', async () => {
    receiver.failNext(1_000, 503);
    await pushImage(stack!.registryUrl, 'team/hello', '2.7-arm64', { arch: 'arm64', format: 'oci', label: 'rebuild' });
    const refused = await eventually(() => receiver.requests.find((r) => r.status === 503), 'a refused delivery of the republish');
    const id = JSON.parse(refused.body).id as string;
    await stack!.stop();
    stack = undefined;

    receiver = await swapToAccepting(receiver);
    await start();
    const [delivered] = await eventually(
      () => (receiver.accepted().length > 0 ? receiver.accepted() : undefined),
      'the delivery after the restart',
      30_000,
    );
    const body = JSON.parse(delivered!.body);
    expect(body.id).toBe(id);
    expect(body.data.digest).toBe(await tagDigest('2.7'));
    expect(hasValidSignature(delivered!, await secret())).toBe(true);
  }, 60_000);
});

/** The same receiver URL, now answering 204 to everything. */
async function swapToAccepting(old: EventReceiver): Promise<EventReceiver> {
  const url = new URL(old.url);
  await old.stop();
  return new EventReceiver().start(url.pathname, Number(url.port));
}
