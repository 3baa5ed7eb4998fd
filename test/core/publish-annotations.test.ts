import { describe, expect, it } from 'vitest';
import { MediaTypes } from '../../src/core/media-types.ts';
import { recordPush } from '../../src/core/record-push.ts';
import type { RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { config, type World, world } from './fixtures.ts';

// The whole path through the use cases: per-arch pushes recorded from the registry, the index
// published with the configured and the inherited annotations.

const repo = 'team/hello';
const SOURCE = 'org.opencontainers.image.source';
const REVISION = 'org.opencontainers.image.revision';
const CREATED = 'org.opencontainers.image.created';

interface Build {
  readonly platform: string;
  readonly tag: string;
  readonly labels: Record<string, string>;
  readonly created: string;
  readonly format?: 'oci' | 'docker';
}

const amd64: Build = {
  platform: 'linux/amd64',
  tag: '2.7-amd64',
  labels: { [SOURCE]: 'https://github.com/example/hello', [REVISION]: 'a1' },
  created: '2026-11-27T09:00:00Z',
};
const arm64: Build = {
  platform: 'linux/arm64',
  tag: '2.7-arm64',
  labels: { [SOURCE]: 'https://github.com/example/hello', [REVISION]: 'a2' },
  created: '2026-11-27T09:05:00Z',
};

async function publish(w: World, builds: readonly Build[], input: Partial<RepositoryConfigInput> = {}) {
  await w.store.putRepositoryConfig(repo, config(input));
  for (const build of builds) {
    const digest = w.registry.addImage(repo, {
      platform: build.platform,
      tag: build.tag,
      labels: build.labels,
      created: build.created,
      format: build.format,
    }).manifest.digest;
    const outcome = await recordPush(w.deps, { repository: repo, tag: build.tag, digest, eventId: `evt-${build.tag}` });
    w.clock.advance(60_000);
    expect(outcome.kind).not.toBe('rejected');
  }
  const index = w.registry.manifestAt(repo, '2.7');
  if (index === undefined) throw new Error('2.7 was not published');
  const body = expectValidIndex(index) as ReturnType<typeof expectValidIndex> & { annotations?: Record<string, string> };
  return { index, annotations: body.annotations };
}

describe('publishing with annotations', () => {
  it('writes the configured annotations and the inherited ones into the OCI index, configured winning', async () => {
    const { annotations } = await publish(world(), [amd64, arm64], {
      indexMediaType: 'oci',
      annotations: { 'com.example.team': 'web', [SOURCE]: 'https://example.com/configured' },
    });
    expect(annotations).toStrictEqual({
      'com.example.team': 'web',
      [CREATED]: '2026-11-27T09:05:00Z',
      [SOURCE]: 'https://example.com/configured',
    });
  });

  it('gives the same digest in two regions that saw the pushes in another order and at other times', async () => {
    const first = world();
    const second = world();
    second.clock.advance(7 * 86_400_000);
    const a = await publish(first, [amd64, arm64], { annotations: { 'com.example.team': 'web' } });
    const b = await publish(second, [arm64, amd64], { annotations: { 'com.example.team': 'web' } });
    expect(b.index.digest).toBe(a.index.digest);
    expect(a.annotations?.[CREATED]).toBe('2026-11-27T09:05:00Z');
  });

  it('leaves annotations out of a Docker manifest list, with a warning naming them when some were configured', async () => {
    const w = world();
    const docker = (build: Build): Build => ({ ...build, format: 'docker' });
    const { index, annotations } = await publish(w, [docker(amd64), docker(arm64)], { annotations: { 'com.example.team': 'web' } });
    expect(index.mediaType).toBe(MediaTypes.dockerManifestList);
    expect(annotations).toBeUndefined();
    const warnings = w.logger.lines.filter((line) => line.message.startsWith('annotations left out'));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'annotations left out: a Docker manifest list has none (set indexMediaType to oci to keep them)',
        fields: expect.objectContaining({ omitted: ['com.example.team', CREATED, SOURCE] }),
      }),
    ]);
  });

  it('only notes (info) the inherited annotations a Docker list leaves out when none were configured', async () => {
    const w = world();
    await publish(w, [
      { ...amd64, format: 'docker' },
      { ...arm64, format: 'docker' },
    ]);
    const lines = w.logger.lines.filter((line) => line.message.startsWith('annotations left out'));
    expect(lines.map((line) => line.level)).toEqual(['info']);
  });
});
