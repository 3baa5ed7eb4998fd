import { describe, expect, it } from 'vitest';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { ecrPushEvent, lambdaContext, makeHarness } from './handler-harness.ts';

const config = normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] });

describe('on-image-push handler (real middy pipeline, in-memory ports)', () => {
  it('publishes the index once both per-arch pushes have arrived, whatever the order', async () => {
    for (const order of [
      ['amd64', 'arm64'],
      ['arm64', 'amd64'],
    ] as const) {
      const h = makeHarness();
      await h.store.putRepositoryConfig('hello', config);
      const handler = createOnImagePushHandler(h.deps);
      const images = Object.fromEntries(
        order.map((arch) => [arch, h.registry.addImage('hello', { platform: `linux/${arch}`, tag: `2.7-${arch}` })]),
      );

      const first = await handler(ecrPushEvent('hello', images[order[0]]!.manifest.digest, `2.7-${order[0]}`), lambdaContext);
      expect(first).toMatchObject({ kind: 'recorded', version: '2.7', publish: { kind: 'waiting', missing: [`linux/${order[1]}`] } });
      expect(await h.registry.resolveTag('hello', '2.7')).toBeUndefined();

      const second = await handler(ecrPushEvent('hello', images[order[1]]!.manifest.digest, `2.7-${order[1]}`), lambdaContext);
      expect(second).toMatchObject({ kind: 'recorded', publish: { kind: 'published' } });
      const published = h.registry.manifestAt('hello', '2.7');
      expect(published).toBeDefined();
      const index = expectValidIndex(published!);
      expect(index.manifests.map((m) => [m.platform?.architecture, m.digest])).toEqual([
        ['amd64', images.amd64!.manifest.digest],
        ['arm64', images.arm64!.manifest.digest],
      ]);
    }
  });

  it('ignores, with a logged reason, pushes without a tag and the index it published itself', async () => {
    const h = makeHarness();
    await h.store.putRepositoryConfig('hello', config);
    const handler = createOnImagePushHandler(h.deps);
    const amd = h.registry.addImage('hello', { platform: 'linux/amd64', tag: '2.7-amd64' });
    const arm = h.registry.addImage('hello', { platform: 'linux/arm64', tag: '2.7-arm64' });

    expect(await handler(ecrPushEvent('hello', amd.manifest.digest, ''), lambdaContext)).toMatchObject({ kind: 'ignored' });
    expect(await handler(ecrPushEvent('hello', amd.manifest.digest, undefined), lambdaContext)).toMatchObject({ kind: 'ignored' });
    await handler(ecrPushEvent('hello', amd.manifest.digest, '2.7-amd64'), lambdaContext);
    await handler(ecrPushEvent('hello', arm.manifest.digest, '2.7-arm64'), lambdaContext);
    const indexDigest = await h.registry.resolveTag('hello', '2.7');
    const own = await handler(ecrPushEvent('hello', indexDigest!, '2.7'), lambdaContext);
    expect(own).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('published itself') });
    expect(h.logger.messages('info').filter((m) => m.startsWith('push ignored:'))).toHaveLength(3);
  });

  it('ignores events that are not successful pushes, and says why', async () => {
    const h = makeHarness();
    const handler = createOnImagePushHandler(h.deps);
    const digest = `sha256:${'a'.repeat(64)}`;
    const deleted = ecrPushEvent('hello', digest, '2.7-amd64');
    deleted.detail['action-type'] = 'DELETE';
    expect(await handler(deleted, lambdaContext)).toEqual({ kind: 'ignored', reason: 'action-type DELETE is not PUSH' });
    const foreign = { ...ecrPushEvent('hello', digest, 'x'), source: 'aws.s3' };
    expect(await handler(foreign, lambdaContext)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('aws.s3') });
  });

  it('throws on a malformed event, naming the field, and logs it so the event is dead-lettered visibly', async () => {
    const h = makeHarness();
    const handler = createOnImagePushHandler(h.deps);
    const bad = ecrPushEvent('hello', 'sha256:not-a-digest', '2.7-amd64');
    await expect(handler(bad, lambdaContext)).rejects.toThrow(/detail\.image-digest: must be a sha256 digest/);
    expect(h.logger.messages('error')).toEqual([expect.stringContaining('on-image-push failed')]);
  });

  it('throws retryable registry failures so Lambda retries the event', async () => {
    const h = makeHarness();
    await h.store.putRepositoryConfig('hello', config);
    const handler = createOnImagePushHandler(h.deps);
    const amd = h.registry.addImage('hello', { platform: 'linux/amd64', tag: '2.7-amd64' });
    const { RegistryError, ErrorCodes } = await import('../../src/core/errors.ts');
    h.registry.failNext('fetchManifest', 1, new RegistryError(ErrorCodes.unavailable, 'registry answered 503', { retryable: true }));
    await expect(handler(ecrPushEvent('hello', amd.manifest.digest, '2.7-amd64'), lambdaContext)).rejects.toThrow('registry answered 503');
    // The retry succeeds and records the image.
    expect(await handler(ecrPushEvent('hello', amd.manifest.digest, '2.7-amd64'), lambdaContext)).toMatchObject({ kind: 'recorded' });
  });
});
