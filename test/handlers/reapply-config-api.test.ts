import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../src/handlers/api.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { apiEvent, ecrPushEvent, type Harness, lambdaContext, makeHarness } from './handler-harness.ts';

function call(h: Harness, ...args: Parameters<typeof apiEvent>) {
  return createApiHandler(h.deps, { timeoutEarlyInMillis: 0 })(apiEvent(...args), lambdaContext);
}

const json = (response: { body?: string }) => JSON.parse(response.body ?? 'null');

/** `opt:1.0` pushed as amd64 + arm64 through the on-image-push handler, so it is published. */
async function publishedVersion(): Promise<Harness> {
  const h = makeHarness();
  expect(
    (await call(h, 'PUT', '/v1/repositories/opt/config', { body: { requiredPlatforms: ['linux/amd64', 'linux/arm64'] } })).statusCode,
  ).toBe(200);
  const onPush = createOnImagePushHandler(h.deps);
  for (const platform of ['linux/amd64', 'linux/arm64']) {
    const tag = `1.0-${platform.split('/')[1]}`;
    const { digest } = h.registry.addImage('opt', { platform, tag }).manifest;
    await onPush(ecrPushEvent('opt', digest, tag), lambdaContext);
  }
  expect(json(await call(h, 'GET', '/v1/repositories/opt/versions/1.0')).state).toBe('published');
  h.registry.puts.length = 0;
  return h;
}

const architecturesAt = (h: Harness, tag: string) =>
  expectValidIndex(h.registry.manifestAt('opt', tag)!).manifests.map((c) => c.platform?.architecture);

describe('re-applying a config through the API (real middy pipeline)', () => {
  it('POST …/publish after removing linux/arm64 from the config republishes without it; again, puts nothing', async () => {
    const h = await publishedVersion();
    const before = json(await call(h, 'GET', '/v1/repositories/opt/versions/1.0')).published.digest;
    await call(h, 'PUT', '/v1/repositories/opt/config', { body: { requiredPlatforms: ['linux/amd64'] } });

    const response = await call(h, 'POST', '/v1/repositories/opt/versions/1.0/publish', { body: {} });

    expect(response.statusCode).toBe(200);
    const status = json(response);
    expect(status).toMatchObject({ state: 'published', published: { tags: ['1.0'], partial: false } });
    expect(status.published.digest).not.toBe(before);
    expect(architecturesAt(h, '1.0')).toEqual(['amd64']);
    expect(h.registry.puts).toHaveLength(1);

    const again = await call(h, 'POST', '/v1/repositories/opt/versions/1.0/publish', { body: {} });
    expect(json(again).published.digest).toBe(status.published.digest);
    expect(h.registry.puts).toHaveLength(1);
  });

  it('POST …/backfill {republish, dryRun} lists the change and writes nothing; {republish} does it', async () => {
    const h = await publishedVersion();
    const before = h.registry.manifestAt('opt', '1.0')!.digest;
    await call(h, 'PUT', '/v1/repositories/opt/config', { body: { requiredPlatforms: ['linux/amd64'] } });

    const plan = await call(h, 'POST', '/v1/repositories/opt/backfill', { body: { republish: true, dryRun: true } });
    expect(plan.statusCode).toBe(200);
    expect(json(plan)).toMatchObject({
      repository: 'opt',
      dryRun: true,
      versionsChecked: 1,
      changed: [{ version: '1.0', from: before, platformsAdded: [], platformsRemoved: ['linux/arm64'], movedTags: [] }],
      cursor: null,
    });
    expect(h.registry.puts).toEqual([]);

    const done = json(await call(h, 'POST', '/v1/repositories/opt/backfill', { body: { republish: true } }));
    expect(done).toMatchObject({ dryRun: false, changed: [{ version: '1.0', from: before, to: json(plan).changed[0].to }] });
    expect(architecturesAt(h, '1.0')).toEqual(['amd64']);
  });

  it.each([
    ['a repository without config', '/v1/repositories/nothing/backfill', { republish: true }, 404],
    ['a republish flag that is not a boolean', '/v1/repositories/opt/backfill', { republish: 'yes' }, 400],
  ])('refuses %s', async (_name, path, body, status) => {
    const h = await publishedVersion();
    const response = await call(h, 'POST', path, { body });
    expect(response.statusCode).toBe(status);
    if (status === 400) expect(json(response)).toMatchObject({ field: 'body.republish' });
  });
});
