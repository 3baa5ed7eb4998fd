import { describe, expect, it } from 'vitest';
import type { VersionStatus } from '../../src/dashboard/page/types.ts';
import {
  cellOf,
  countByState,
  describeHistoryEntry,
  displayState,
  formatDuration,
  matrixColumns,
  reasonOf,
  shortDigest,
  tagsOf,
  waitingSince,
} from '../../src/dashboard/page/view-model.ts';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const base: VersionStatus = {
  repository: 'hello',
  version: '2.7',
  state: 'waiting',
  requiredPlatforms: ['linux/amd64', 'linux/arm64'],
  missingPlatforms: ['linux/arm64'],
  images: [{ platform: 'linux/amd64', digest: DIGEST, tag: '2.7-amd64', pushedAt: '2026-12-01T10:00:00.000Z' }],
  published: null,
  error: null,
};

describe('displayState', () => {
  it.each([
    { name: 'waiting', status: base, want: 'waiting' },
    {
      name: 'published',
      status: { ...base, state: 'published', missingPlatforms: [], published: { digest: DIGEST, tags: ['2.7'], partial: false } },
      want: 'published',
    },
    {
      name: 'a partial publish still waiting',
      status: { ...base, published: { digest: DIGEST, tags: ['2.7'], partial: true } },
      want: 'partial',
    },
    { name: 'stale', status: { ...base, state: 'stale' }, want: 'stale' },
    {
      name: 'a stale partial publish stays stale',
      status: { ...base, state: 'stale', published: { digest: DIGEST, partial: true } },
      want: 'stale',
    },
    { name: 'conflict', status: { ...base, state: 'conflict' }, want: 'conflict' },
    { name: 'failed', status: { ...base, state: 'failed' }, want: 'failed' },
    { name: 'a state this page does not know', status: { ...base, state: 'exploded' }, want: 'unknown' },
  ])('reads $name as $want', ({ status, want }) => {
    expect(displayState(status as VersionStatus)).toBe(want);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [3_600_000, '1 h'],
    [3_900_000, '1 h 5 min'],
    [86_400_000, '1 d'],
    [90_000_000, '1 d 1 h'],
    [-5, '0 s'],
  ])('%i ms reads %s', (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });
});

describe('matrixColumns and cellOf', () => {
  it('puts required platforms first in config order, then any other recorded platform, sorted', () => {
    const other: VersionStatus = {
      ...base,
      version: '2.8',
      images: [
        { platform: 'windows(10.0.20348)/amd64', digest: DIGEST },
        { platform: 'linux/arm/v7', digest: DIGEST },
      ],
    };
    expect(matrixColumns(['linux/arm64', 'linux/amd64'], [base, other])).toEqual([
      'linux/arm64',
      'linux/amd64',
      'linux/arm/v7',
      'windows(10.0.20348)/amd64',
    ]);
  });

  it('gives the image, `missing` for a required platform not there, and nothing for the rest', () => {
    expect(cellOf(base, 'linux/amd64')).toMatchObject({ kind: 'image', image: { tag: '2.7-amd64' } });
    expect(cellOf(base, 'linux/arm64')).toEqual({ kind: 'missing' });
    expect(cellOf(base, 'linux/arm/v7')).toEqual({ kind: 'none' });
  });

  it('fills a linux/arm64 column with an image recorded as linux/arm64/v8', () => {
    const v8 = { ...base, images: [{ platform: 'linux/arm64/v8', digest: DIGEST }], missingPlatforms: [] };
    expect(cellOf(v8, 'linux/arm64')).toMatchObject({ kind: 'image' });
  });
});

describe('tagsOf', () => {
  it('takes the floating and exact tags the server reports, and the published ones, once each', () => {
    expect(tagsOf({ ...base, tags: ['2.7', 'latest'], published: { digest: DIGEST, tags: ['2.7'] } })).toEqual(['2.7', 'latest']);
  });
  it('reads a server without `tags`', () => {
    expect(tagsOf({ ...base, published: { digest: DIGEST, tags: ['2.7'] } })).toEqual(['2.7']);
    expect(tagsOf(base)).toEqual([]);
  });
});

describe('waitingSince, reasonOf, shortDigest, countByState', () => {
  it('waits since the first push while platforms are missing, and not at all once none is', () => {
    const two = {
      ...base,
      images: [...(base.images ?? []), { platform: 'linux/s390x', digest: DIGEST, pushedAt: '2026-12-01T09:00:00.000Z' }],
    };
    expect(waitingSince(two)).toBe(Date.parse('2026-12-01T09:00:00.000Z'));
    expect(waitingSince({ ...base, missingPlatforms: [] })).toBeUndefined();
  });
  it('reads a reason as text or as an object with a message', () => {
    expect(reasonOf({ ...base, error: 'two images claim linux/amd64' })).toBe('two images claim linux/amd64');
    expect(reasonOf({ ...base, error: { message: 'registry unavailable' } })).toBe('registry unavailable');
    expect(reasonOf(base)).toBeUndefined();
  });
  it('shortens a digest to 12 hex digits', () => {
    expect(shortDigest(DIGEST)).toBe('0123456789ab');
  });
  it('counts versions per display state', () => {
    expect(countByState([base, base, { ...base, state: 'conflict' }])).toEqual({ waiting: 2, conflict: 1 });
  });
});

describe('describeHistoryEntry', () => {
  it('lists the fields of an entry but its kind and time, digests short', () => {
    expect(
      describeHistoryEntry({
        id: 'push:x',
        kind: 'push-recorded',
        at: 'x',
        sequence: 3,
        tag: '2.7-amd64',
        digest: DIGEST,
        platform: 'linux/amd64',
      }),
    ).toBe('tag 2.7-amd64 · digest 0123456789ab · platform linux/amd64');
    expect(describeHistoryEntry({ kind: 'published', tags: ['2.7', 'latest'], revision: 4 })).toBe('tags 2.7, latest · revision 4');
  });
});
