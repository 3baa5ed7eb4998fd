import { describe, expect, it } from 'vitest';
import { type FloatingPointer, floatingRank } from '../../src/core/floating-pointer.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import type { VersionRecord } from '../../src/core/version-record.ts';
import { toVersionStatus, type VersionStatus } from '../../src/core/version-status.ts';
import { config, digestOf, record, recordedImage } from './fixtures.ts';

const NOW = Date.parse('2026-11-27T10:00:05.000Z');

describe('toVersionStatus', () => {
  const arm64 = recordedImage('linux/arm64', { tag: '2.7-arm64', pushedAt: '2026-11-27T10:00:00.000Z' });
  const amd64 = recordedImage('linux/amd64', { tag: '2.7-amd64', pushedAt: '2026-11-27T10:00:03.000Z' });

  it('reports a published version as docs/api.md shows it, images sorted by platform', () => {
    const input = record([arm64, amd64], {
      revision: 2,
      published: {
        digest: digestOf('index'),
        mediaType: MediaTypes.ociIndex,
        size: 700,
        tags: ['2.7'],
        at: '2026-11-27T10:00:04.000Z',
        revision: 2,
      },
      lease: { owner: 'owner-1', until: 1 },
      updatedAt: '2026-11-27T10:00:04.000Z',
    });
    expect(toVersionStatus(input, config(), NOW)).toEqual<VersionStatus>({
      repository: 'hello',
      version: '2.7',
      state: 'published',
      requiredPlatforms: ['linux/amd64', 'linux/arm64'],
      missingPlatforms: [],
      images: [
        {
          platform: 'linux/amd64',
          digest: amd64.digest,
          mediaType: MediaTypes.ociManifest,
          size: amd64.size,
          tag: '2.7-amd64',
          pushedAt: '2026-11-27T10:00:03.000Z',
        },
        {
          platform: 'linux/arm64',
          digest: arm64.digest,
          mediaType: MediaTypes.ociManifest,
          size: arm64.size,
          tag: '2.7-arm64',
          pushedAt: '2026-11-27T10:00:00.000Z',
        },
      ],
      published: {
        digest: digestOf('index'),
        mediaType: MediaTypes.ociIndex,
        tags: ['2.7'],
        at: '2026-11-27T10:00:04.000Z',
        partial: false,
      },
      tags: ['2.7'],
      notes: [],
      error: null,
      rejected: [],
      updatedAt: '2026-11-27T10:00:04.000Z',
    });
  });

  it('reports waiting with what is missing', () => {
    const status = toVersionStatus(record([arm64]), config(), NOW);
    expect(status).toMatchObject({ state: 'waiting', missingPlatforms: ['linux/amd64'], published: null, error: null });
  });

  it('shows the error of the current revision only', () => {
    const error = {
      kind: 'conflict' as const,
      message: '2.7-arm64 and 2.7-aarch64 both claim linux/arm64',
      at: '2026-11-27T10:00:00.000Z',
      revision: 4,
    };
    expect(toVersionStatus(record([arm64, amd64], { revision: 4, error }), config(), NOW)).toMatchObject({
      state: 'conflict',
      error: error.message,
    });
    expect(toVersionStatus(record([arm64, amd64], { revision: 5, error }), config(), NOW)).toMatchObject({
      state: 'publishing',
      error: null,
    });
  });

  it('without a config, requires nothing', () => {
    expect(toVersionStatus(record([arm64]), undefined, NOW)).toMatchObject({ requiredPlatforms: [], missingPlatforms: [] });
  });

  describe('tags and notes with floating target tags', () => {
    const cfg = config({ targetTags: ['{version}', '{major}.{minor}', 'latest'] });
    const published = (version: string, revision = 1, extra: object = {}) =>
      record([arm64, amd64], {
        version,
        revision,
        published: {
          digest: digestOf(version),
          mediaType: MediaTypes.ociIndex,
          size: 700,
          tags: [version],
          at: '2026-11-27T10:00:04.000Z',
          revision,
          ...extra,
        },
      });
    const pointer = (tag: string, version: string, revision = 1): FloatingPointer => {
      const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number) as [number, number, number];
      return { tag, version, digest: digestOf(version), revision, rank: floatingRank({ major, minor, patch }, version, revision) };
    };
    const POINTERS = [pointer('2.7', '2.7.2'), pointer('2.8', '2.8.0'), pointer('latest', '2.8.0')];

    const cases: Array<{ name: string; input: VersionRecord; pointers?: FloatingPointer[]; tags: string[]; notes: string[] }> = [
      { name: 'the release latest and 2.8 follow', input: published('2.8.0'), tags: ['2.8.0', '2.8', 'latest'], notes: [] },
      { name: 'a patch of an older line', input: published('2.7.2'), tags: ['2.7.2', '2.7'], notes: ['latest stays on 2.8.0 (newer)'] },
      {
        name: 'a release passed by newer ones',
        input: published('2.7.1'),
        tags: ['2.7.1'],
        notes: ['2.7 stays on 2.7.2 (newer)', 'latest stays on 2.8.0 (newer)'],
      },
      {
        name: 'another spelling of the same release',
        input: published('v2.8.0'),
        tags: ['v2.8.0'],
        notes: [
          '2.8 stays on 2.8.0 (same precedence as v2.8.0, ranked higher by name)',
          'latest stays on 2.8.0 (same precedence as v2.8.0, ranked higher by name)',
        ],
      },
      {
        name: 'a pre-release',
        input: published('2.9.0-rc1'),
        tags: ['2.9.0-rc1'],
        notes: ['2.9.0-rc1 is a pre-release: floating tags ({major}.{minor}, latest) do not move to it'],
      },
      {
        name: 'a version that is not semver',
        input: published('3.0'),
        tags: ['3.0'],
        notes: ['3.0 is not semver (major.minor.patch): floating tags ({major}.{minor}, latest) never move to it'],
      },
      { name: 'a release not yet published', input: record([arm64], { version: '2.9.0' }), tags: [], notes: [] },
      {
        name: 'a release published partially',
        input: published('2.9.0', 1, { missingPlatforms: ['linux/amd64'] }),
        tags: ['2.9.0'],
        notes: ['published partially: floating tags ({major}.{minor}, latest) move to it once every required platform is in'],
      },
      {
        name: 'a release the tags have not followed yet',
        input: published('2.9.0'),
        tags: ['2.9.0'],
        notes: [
          '2.9 does not exist yet: it moves to 2.9.0 at the next reconcile',
          'latest is still on 2.8.0: it moves to 2.9.0 at the next reconcile',
        ],
      },
      {
        name: 'a release republished after a rebuild while its publish runs',
        input: published('2.8.0', 1, {}),
        pointers: [pointer('latest', '2.8.0', 2)],
        tags: ['2.8.0', 'latest'],
        notes: ['2.8 does not exist yet: it moves to 2.8.0 at the next reconcile'],
      },
    ];
    for (const { name, input, pointers, tags, notes } of cases) {
      it(`for ${name}: tags ${JSON.stringify(tags)}`, () => {
        expect(toVersionStatus(input, cfg, NOW, pointers ?? POINTERS)).toMatchObject({ tags, notes });
      });
    }

    it('has no notes when the config has no floating template, and ignores pointers of templates it no longer has', () => {
      expect(toVersionStatus(published('2.8.0'), config(), NOW, POINTERS)).toMatchObject({ tags: ['2.8.0'], notes: [] });
      expect(toVersionStatus(published('3.0'), undefined, NOW, POINTERS)).toMatchObject({ tags: ['3.0'], notes: [] });
    });
  });

  it('without a config (deleted), a complete version being published says it waits for one, and why', () => {
    const leased = record([arm64, amd64], { revision: 2, lease: { owner: 'owner-1', until: NOW + 30_000 } });
    expect(toVersionStatus(leased, undefined, NOW)).toMatchObject({
      state: 'waiting',
      error: 'repository hello has no configuration; set it again to publish this version',
    });
  });

  it('without a config, a version published at its revision stays published, with the missing config noted', () => {
    const published = {
      digest: digestOf('index'),
      mediaType: MediaTypes.ociIndex,
      size: 700,
      tags: ['2.7'],
      at: '2026-11-27T10:00:04.000Z',
      revision: 2,
    };
    expect(toVersionStatus(record([arm64, amd64], { revision: 2, published }), undefined, NOW)).toMatchObject({
      state: 'published',
      error: 'repository hello has no configuration; set it again to publish this version',
    });
  });

  it('lists refused pushes by tag and makes the latest the error when nothing else is wrong', () => {
    const rejected = {
      '2.7-x': { tag: '2.7-x', digest: digestOf('x'), reason: 'Docker schema 1 is not supported', at: '2026-11-27T10:00:01.000Z' },
      '2.7-arm64': {
        tag: '2.7-arm64',
        digest: digestOf('bad'),
        reason: 'image config has no architecture',
        at: '2026-11-27T10:00:02.000Z',
      },
    };
    const status = toVersionStatus(record([amd64], { rejected }), config(), NOW);
    expect(status.rejected).toEqual([rejected['2.7-arm64'], rejected['2.7-x']]);
    expect(status.state).toBe('failed');
    expect(status.error).toBe(
      `push of 2.7-arm64 (${digestOf('bad')}) was refused: image config has no architecture; push a fixed image under that tag (and 1 more refused push: 2.7-x)`,
    );
  });
});
