import { describe, expect, inject, it } from 'vitest';
import { normaliseRepositoryConfig } from '../../src/core/repository-config.ts';
import { createUniqueTable, makeDynamoClient } from '../support/dynamodb.ts';
import { CapturingLogger, seededRandom } from '../support/fakes.ts';
import { pushImage } from '../support/images.ts';
import { checkDeliveries, checkFloatingTags, checkRegistryState, type Delivery } from '../support/invariants.ts';
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
        await deliverWithRetry(
          stack,
          { repository, tag: `1.0-${arch}`, digest: image.digest, mediaType: image.mediaType, id: arch },
          deliveries,
          { random: seededRandom(1) },
        );
      }
      const clean = await checkRegistryState({
        registryUrl,
        repository,
        config,
        store,
        seed: 'checker',
        nowMs: Date.now(),
        indexPuts: stack.registry.puts,
      });
      expect(clean.violations).toEqual([]);

      // A history that lost its publish entry and skipped a sequence number.
      const history = await store.getHistory({ repository, version: '1.0' });
      const lossy = { sequence: history.sequence + 1, entries: history.entries.filter((e) => e.kind !== 'published') };
      expect(await store.putHistory({ repository, version: '1.0' }, { history: lossy, expectedSequence: history.sequence })).toBe(true);
      const lost = await checkRegistryState({ registryUrl, repository, config, store, seed: 'checker', nowMs: Date.now() });
      expect(lost.violations.join('\n')).toMatch(/1\.0: history lacks the publish of sha256:\w+ \(revision 2\)/);
      expect(lost.violations.join('\n')).toMatch(/history entry \d has sequence \d+, expected \d+ \(an append was lost or doubled\)/);

      // A rebuild nobody told us about: the tag moved, the index did not.
      await pushImage(registryUrl, repository, '1.0-arm64', { arch: 'arm64', format: 'oci', label: 'rebuilt' });
      const stale = await checkRegistryState({
        registryUrl,
        repository,
        config,
        store,
        seed: 'checker',
        nowMs: Date.now(),
        indexPuts: [...stack.registry.puts, ...stack.registry.puts],
        maxPutsPerIndex: 1,
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

  it('checkFloatingTags reports a floating tag left on a lower release and a pointer that says otherwise', async () => {
    const client = makeDynamoClient();
    try {
      const store = makeDynamoStore(client, await createUniqueTable(client, 'faults-checker-floating'));
      const stack = makeStack({ registryUrl, store });
      const repository = `faults/checker-floating-${Math.floor(Math.random() * 1e6)}`;
      const config = normaliseRepositoryConfig({
        requiredPlatforms: ['linux/amd64', 'linux/arm64'],
        targetTags: ['{version}', '{major}.{minor}', 'latest'],
      });
      await store.putRepositoryConfig(repository, config);
      const deliveries: Delivery[] = [];
      for (const version of ['1.0.0', '1.1.0']) {
        for (const arch of ['amd64', 'arm64'] as const) {
          const tag = `${version}-${arch}`;
          const image = await pushImage(registryUrl, repository, tag, { arch, format: 'oci', label: version });
          await deliverWithRetry(stack, { repository, tag, digest: image.digest, mediaType: image.mediaType, id: tag }, deliveries, {
            random: seededRandom(1),
          });
        }
      }
      const clean = await checkFloatingTags({ registryUrl, repository, config, store, seed: 'checker' });
      expect(clean).toEqual({ floating: { '1.0': '1.0.0', '1.1': '1.1.0', latest: '1.1.0' }, violations: [] });

      // latest put back on the lower release (a late put nobody corrected), and a floating tag no release makes.
      const lower = (await store.getVersion({ repository, version: '1.0.0' }))!.published!.digest;
      const index = await stack.registry.fetchManifest(repository, lower);
      await stack.registry.putManifest(repository, 'latest', index);
      await stack.registry.putManifest(repository, '9.9', index);
      await store.claimFloatingTag(repository, {
        ...(await store.getFloatingTag(repository, '1.1'))!,
        tag: '1.1',
        version: '1.1.0',
        digest: lower,
        rank: 'zzz',
      });
      const broken = (await checkFloatingTags({ registryUrl, repository, config, store, seed: 'checker' })).violations.join('\n');
      expect(broken).toMatch(/\[seed checker\].*latest holds sha256:\w+ \(the index of 1\.0\.0, lower\), not 1\.1\.0's index/);
      expect(broken).toMatch(/the 1\.1 pointer names 1\.1\.0 \(sha256:\w+\), not 1\.1\.0/);
      expect(broken).not.toMatch(/9\.9/); // 9.9 is not a floating tag of any version here: not this check's business
    } finally {
      client.destroy();
    }
  });
});
