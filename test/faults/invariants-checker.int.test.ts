import { describe, expect, inject, it } from 'vitest';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { CapturingLogger, seededRandom } from '../support/fakes.ts';
import { pushImage } from '../support/images.ts';
import { checkDeliveries, checkRegistryState, type Delivery } from '../support/invariants.ts';
import { deliverWithRetry, makeDynamoStore, makeStack } from './harness.ts';

// The checker the fault suites rely on must be able to fail: a rebuild whose event was lost leaves
// the version tag on the old index, which it must report; an outcome without a log line too.

const registryUrl = inject('registryUrl');

describe('checkRegistryState and checkDeliveries', () => {
  it('report a version tag left on an older index, a PUT beyond the bound, and an unlogged outcome', async () => {
    const client = makeDynamoClient();
    try {
      const store = makeDynamoStore(client, await createUniqueTable(client, 'faults-checker'));
      const stack = makeStack({ registryUrl, store });
      const repository = `faults/checker-${Math.floor(Math.random() * 1e6)}`;
      const config = normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] });
      await store.putRepositoryConfig(repository, config);
      const deliveries: Delivery[] = [];
      for (const arch of ['amd64', 'arm64'] as const) {
        const image = await pushImage(registryUrl, repository, `1.0-${arch}`, { arch, format: 'oci' });
        await deliverWithRetry(stack, { repository, tag: `1.0-${arch}`, digest: image.digest, mediaType: image.mediaType, id: arch }, deliveries, { random: seededRandom(1) });
      }
      const clean = await checkRegistryState({ registryUrl, repository, config, store, seed: 'checker', nowMs: Date.now(), indexPuts: stack.registry.puts });
      expect(clean.violations).toEqual([]);

      // A history that lost its publish entry and skipped a sequence number.
      const history = await store.getHistory(repository, '1.0');
      const lossy = { sequence: history.sequence + 1, entries: history.entries.filter((e) => e.kind !== 'published') };
      expect(await store.putHistory(repository, '1.0', lossy, history.sequence)).toBe(true);
      const lost = await checkRegistryState({ registryUrl, repository, config, store, seed: 'checker', nowMs: Date.now() });
      expect(lost.violations.join('\n')).toMatch(/1\.0: history lacks the publish of sha256:\w+ \(revision 2\)/);
      expect(lost.violations.join('\n')).toMatch(/history entry \d has sequence \d+, expected \d+ \(an append was lost or doubled\)/);

      // A rebuild nobody told us about: the tag moved, the index did not.
      await pushImage(registryUrl, repository, '1.0-arm64', { arch: 'arm64', format: 'oci', label: 'rebuilt' });
      const stale = await checkRegistryState({
        registryUrl, repository, config, store, seed: 'checker', nowMs: Date.now(),
        indexPuts: [...stack.registry.puts, ...stack.registry.puts], maxPutsPerIndex: 1,
      });
      expect(stale.violations.join('\n')).toMatch(/\[seed checker\].*1\.0 holds sha256:\w+, not buildIndex/);
      expect(stale.violations.join('\n')).toMatch(/the store has linux\/arm64=/);
      expect(stale.violations.join('\n')).toMatch(/was put 2 times/);

      expect(checkDeliveries(deliveries, stack.logger.lines, 'checker')).toEqual([]);
      expect(checkDeliveries(deliveries, new CapturingLogger().lines, 'checker')).toHaveLength(deliveries.length);
    } finally {
      client.destroy();
    }
  });
});
