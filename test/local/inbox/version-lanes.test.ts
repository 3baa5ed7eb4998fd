import { describe, expect, it } from 'vitest';
import { normaliseRepositoryConfig, type RepositoryConfig } from '../../../src/core/repository-config.ts';
import { createVersionLanes } from '../../../src/local/inbox/version-lanes.ts';
import type { EcrImageActionEvent } from '../../../src/local/registry/registry-events.ts';

const event = (repository: string, tag: string) => ({ detail: { 'repository-name': repository, 'image-tag': tag } }) as EcrImageActionEvent;

function store(configs: Record<string, RepositoryConfig>) {
  const reads: string[] = [];
  return {
    reads,
    getRepositoryConfig: async (repository: string) => {
      reads.push(repository);
      if (repository === 'broken') throw new Error('dynalite is not answering');
      return configs[repository];
    },
  };
}

describe('createVersionLanes', () => {
  const configs = {
    'team/app': normaliseRepositoryConfig({ requiredPlatforms: ['linux/amd64'] }),
    'team/custom': normaliseRepositoryConfig({
      requiredPlatforms: ['linux/amd64'],
      tagPattern: '^(?<platform>amd64|arm64)-(?<version>.+)$',
    }),
  };

  it.each([
    ['the default pattern', 'team/app', '2.7-rc1-arm64', 'team/app:2.7-rc1'],
    ['a custom pattern', 'team/custom', 'arm64-2.7', 'team/custom:2.7'],
    ['a tag the pattern does not match: a lane of its own', 'team/custom', 'latest', 'team/custom:latest'],
    ['a repository without config: a lane of its own', 'team/none', '1.0-amd64', 'team/none:1.0-amd64'],
  ])('puts a push in its version lane with %s', async (_name, repository, tag, lane) => {
    expect(await createVersionLanes(store(configs))(event(repository, tag))).toBe(lane);
  });

  it('reads a repository config once per ttl, and again after it', async () => {
    let now = 0;
    const s = store(configs);
    const laneOf = createVersionLanes(s, { ttlMs: 1_000, now: () => now });
    await laneOf(event('team/app', '1-amd64'));
    await laneOf(event('team/app', '1-arm64'));
    now = 999;
    await laneOf(event('team/app', '2-arm64'));
    expect(s.reads).toEqual(['team/app']);
    now = 1_000;
    await laneOf(event('team/app', '2-amd64'));
    expect(s.reads).toEqual(['team/app', 'team/app']);
  });

  it('rejects when the config cannot be read, and asks again on the next push', async () => {
    const s = store(configs);
    const laneOf = createVersionLanes(s);
    await expect(laneOf(event('broken', '1-amd64'))).rejects.toThrow('dynalite is not answering');
    await expect(laneOf(event('broken', '1-amd64'))).rejects.toThrow();
    expect(s.reads).toEqual(['broken', 'broken']);
  });
});
