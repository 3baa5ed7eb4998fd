import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { RECONCILE_PASS_CHECKPOINT, reconcileCheckpointName } from '../../src/core/reconcile-all.ts';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createReconcileHandler } from '../../src/handlers/reconcile.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { type Harness, lambdaContext, makeHarness } from './handler-harness.ts';

const config = normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] });
/** Virtual time one listTags call takes: with the handler's smallest budget (1 s), one page per invocation. */
const LIST_TAGS_MS = 1_000;

/** A context near its end: the handler keeps 15 s back, so this leaves it its minimum budget. */
function contextWithLittleTime(): Context {
  return { ...lambdaContext, getRemainingTimeInMillis: () => 15_500 } as Context;
}

/** `big` needs two pages of tags (600 tags that are not per-arch, then a lost push); `small` one lost push. */
async function registryWithLostPushes(): Promise<Harness> {
  const h = makeHarness();
  for (const repository of ['big', 'small']) await h.store.putRepositoryConfig(repository, config);
  const filler = h.registry.addImage('big', { platform: 'linux/amd64' }).manifest.digest;
  for (let i = 0; i < 600; i++) h.registry.tag('big', `b${String(i).padStart(4, '0')}`, filler);
  for (const repository of ['big', 'small']) {
    for (const arch of ['amd64', 'arm64'])
      h.registry.addImage(repository, { platform: `linux/${arch}`, tag: `z1-${arch}`, label: repository });
  }
  h.registry.beforeCall = (method) => {
    if (method === 'listTags') h.clock.advance(LIST_TAGS_MS);
  };
  return h;
}

describe('reconcile handler (real middy pipeline, in-memory ports)', () => {
  it('covers every repository in one invocation when time allows', async () => {
    const h = await registryWithLostPushes();
    const handler = createReconcileHandler(h.deps, { timeoutEarlyInMillis: 0 });
    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext);
    expect(result.repositories).toBe(2);
    expect(result.reports.flatMap((r) => r.pushesRecovered.map((t) => `${r.repository}:${t}`))).toEqual([
      'big:z1-amd64',
      'big:z1-arm64',
      'small:z1-amd64',
      'small:z1-arm64',
    ]);
    expectValidIndex(h.registry.manifestAt('big', 'z1')!);
    expectValidIndex(h.registry.manifestAt('small', 'z1')!);
  });

  it('with little time left, stops after a page and resumes from the checkpoint on the next invocation', async () => {
    const h = await registryWithLostPushes();
    const handler = createReconcileHandler(h.deps, { timeoutEarlyInMillis: 0 });

    const first = await handler({}, contextWithLittleTime());
    expect(first.reports.map((r) => [r.repository, r.tagsScanned])).toEqual([['big', 500]]);
    expect(first.reports[0]?.pushesRecovered).toEqual([]);
    const checkpoint = await h.store.getCheckpoint(reconcileCheckpointName('big'));
    expect(checkpoint).toBe(first.reports[0]?.cursor);
    expect(checkpoint).toEqual(expect.any(String));
    expect(h.logger.messages('info')).toContain('reconcile pass out of time; the next pass resumes here');

    const second = await handler({}, contextWithLittleTime());
    // The rest of big's tags, not its first page again: 100 fillers and the 2 lost pushes.
    expect(second.reports.map((r) => [r.repository, r.tagsScanned])).toEqual([['big', 102]]);
    expect(second.reports[0]?.pushesRecovered).toEqual(['z1-amd64', 'z1-arm64']);
    expect(await h.store.getCheckpoint(reconcileCheckpointName('big'))).toBeUndefined();
    expect(await h.store.getCheckpoint(RECONCILE_PASS_CHECKPOINT)).toBe('small');

    const third = await handler({}, contextWithLittleTime());
    expect(third.reports.map((r) => [r.repository, r.pushesRecovered])).toEqual([['small', ['z1-amd64', 'z1-arm64']]]);
    expectValidIndex(h.registry.manifestAt('big', 'z1')!);
    expectValidIndex(h.registry.manifestAt('small', 'z1')!);
  });

  it('throws, with a log line, when the store cannot list the repositories, so the failure is visible', async () => {
    const h = makeHarness();
    h.store.listRepositoryConfigs = async () => {
      throw new RegistryError(ErrorCodes.unavailable, 'table unavailable', { retryable: true });
    };
    const handler = createReconcileHandler(h.deps, { timeoutEarlyInMillis: 0 });
    await expect(handler({}, lambdaContext)).rejects.toThrow('table unavailable');
    expect(h.logger.messages('error')).toEqual(['reconcile failed; the event will be retried or dead-lettered']);
  });

  it('reports a repository that fails in the log and still reconciles the others', async () => {
    const h = await registryWithLostPushes();
    const advance = h.registry.beforeCall;
    h.registry.beforeCall = (method, args) => {
      advance?.(method, args);
      if (method === 'listTags' && args[0] === 'big') throw new RegistryError(ErrorCodes.denied, 'not allowed to list big', {});
    };
    const result = await createReconcileHandler(h.deps, { timeoutEarlyInMillis: 0 })({}, lambdaContext);
    expect(result.reports.map((r) => r.repository)).toEqual(['small']);
    expect(h.logger.lines.find((l) => l.level === 'error')?.fields).toMatchObject({ repository: 'big', error: 'not allowed to list big' });
  });
});
