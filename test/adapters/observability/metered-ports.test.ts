import { describe, expect, it } from 'vitest';
import { meteredRegistry, meteredStore } from '../../../src/adapters/observability/metered-ports.ts';
import { ErrorCodes, RegistryError } from '../../../src/core/errors.ts';
import { Counters } from '../../../src/core/metrics.ts';
import { InMemoryImageRegistry } from '../../support/in-memory-image-registry.ts';
import { InMemoryVersionStore } from '../../support/in-memory-version-store.ts';
import { RecordingMetrics } from '../../support/recording-metrics.ts';

describe('meteredRegistry and meteredStore', () => {
  it('count each call that throws, let the error through, and count nothing for answers', async () => {
    const metrics = new RecordingMetrics();
    const inner = new InMemoryImageRegistry();
    const registry = meteredRegistry(inner, metrics);
    expect(await registry.resolveTag('hello', 'nope')).toBeUndefined();
    const error = new RegistryError(ErrorCodes.throttled, 'slow down', { retryable: true });
    inner.failNext('resolveTag', 1, error);
    await expect(registry.resolveTag('hello', 'nope')).rejects.toBe(error);
    expect(metrics.total(Counters.registryCallErrors)).toBe(1);

    const store = meteredStore(new InMemoryVersionStore(), metrics);
    expect(await store.getVersion({ repository: 'hello', version: '1' })).toBeUndefined();
    // A lost conditional write is an answer (undefined), not an error.
    expect(
      await store.updateImages(
        { repository: 'hello', version: '1' },
        { set: [], remove: [] },
        { expectedRevision: 5, now: Date.parse('2026-11-27T10:00:00.000Z') },
      ),
    ).toBeUndefined();
    expect(metrics.total(Counters.dynamoDbCallErrors)).toBe(0);
  });
});
