import { describe, expect, it } from 'vitest';
import { deriveState, missingPlatforms, selectIndexImages } from '../../src/core/readiness.ts';
import type { VersionRecord, VersionState } from '../../src/core/version-record.ts';
import { config, digestOf, record, recordedImage } from './fixtures.ts';

const amd64 = recordedImage('linux/amd64');
const arm64 = recordedImage('linux/arm64/v8');
const published = {
  digest: digestOf('index'),
  mediaType: 'application/vnd.oci.image.index.v1+json',
  size: 500,
  tags: ['2.7'],
  at: '2026-11-27T10:00:01.000Z',
};
const at = '2026-11-27T10:00:02.000Z';
const NOW = Date.parse('2026-11-27T10:00:05.000Z');

describe('missingPlatforms', () => {
  it('lists required platforms no image satisfies, in config order', () => {
    expect(missingPlatforms(config({ requiredPlatforms: ['linux/arm64', 'linux/amd64', 'linux/arm'] }), record([amd64]))).toEqual([
      'linux/arm64',
      'linux/arm/v7',
    ]);
  });
  it('matches spellings and Windows builds', () => {
    const windows = recordedImage('windows(10.0.20348.2227)/amd64');
    expect(
      missingPlatforms(config({ requiredPlatforms: ['linux/aarch64', 'windows(10.0.20348)/amd64'] }), record([arm64, windows])),
    ).toEqual([]);
  });
  it('is empty without a config', () => expect(missingPlatforms(undefined, record([]))).toEqual([]));
});

describe('selectIndexImages', () => {
  it('takes required and optional platforms and leaves out the rest', () => {
    const arm = recordedImage('linux/arm/v7');
    const s390x = recordedImage('linux/s390x');
    const selected = selectIndexImages(config({ optionalPlatforms: ['linux/arm'] }), record([amd64, arm64, arm, s390x]));
    expect(selected.map((image) => image.key).sort()).toEqual(['linux/amd64', 'linux/arm/v7', 'linux/arm64']);
  });
});

describe('deriveState', () => {
  const refusal = { tag: '2.7-arm64', digest: `sha256:${'f'.repeat(64)}`, reason: 'image config has no architecture', at };
  const complete = record([amd64, arm64], { revision: 3 });
  const cases: Array<{ name: string; record: VersionRecord; configured?: boolean; want: VersionState }> = [
    { name: 'a required platform missing', record: record([amd64], { revision: 1 }), want: 'waiting' },
    { name: 'complete, never published', record: complete, want: 'publishing' },
    { name: 'published at this revision', record: { ...complete, published: { ...published, revision: 3 } }, want: 'published' },
    { name: 'published at an older revision', record: { ...complete, published: { ...published, revision: 2 } }, want: 'publishing' },
    { name: 'failed at this revision', record: { ...complete, error: { kind: 'failed', message: 'x', at, revision: 3 } }, want: 'failed' },
    {
      name: 'failed at an older revision (a fresh attempt is due)',
      record: { ...complete, error: { kind: 'failed', message: 'x', at, revision: 2 } },
      want: 'publishing',
    },
    {
      name: 'conflict at this revision',
      record: { ...complete, error: { kind: 'conflict', message: 'x', at, revision: 3 } },
      want: 'conflict',
    },
    {
      name: 'conflict while still waiting',
      record: { ...record([arm64], { revision: 2 }), error: { kind: 'conflict', message: 'x', at, revision: 2 } },
      want: 'conflict',
    },
    {
      name: 'conflict at an older revision',
      record: { ...complete, error: { kind: 'conflict', message: 'x', at, revision: 1 }, published: { ...published, revision: 3 } },
      want: 'published',
    },
    // A refused push: failed while platforms are missing (nothing completes it until a fixed push)…
    {
      name: 'a refused push while a platform is missing',
      record: { ...record([amd64], { revision: 1 }), rejected: { '2.7-arm64': refusal } },
      want: 'failed',
    },
    {
      name: 'only a refused push (revision 0, no images)',
      record: { ...record([], { revision: 0 }), rejected: { '2.7-arm64': refusal } },
      want: 'failed',
    },
    {
      name: 'a refused push while in conflict',
      record: {
        ...record([arm64], { revision: 2 }),
        error: { kind: 'conflict', message: 'x', at, revision: 2 },
        rejected: { '2.7-amd64': refusal },
      },
      want: 'conflict',
    },
    // …but a complete version goes on as usual (a refused rebuild leaves the earlier image in place).
    {
      name: 'a refused rebuild of a published version',
      record: { ...complete, published: { ...published, revision: 3 }, rejected: { '2.7-arm64': refusal } },
      want: 'published',
    },
    { name: 'a refused rebuild of a complete version', record: { ...complete, rejected: { '2.7-arm64': refusal } }, want: 'publishing' },
    // Without a config nothing will publish it (the config was deleted): waiting, never publishing.
    { name: 'no config, complete, never published', record: complete, configured: false, want: 'waiting' },
    {
      name: 'no config, complete, a publisher holds the lease',
      record: { ...complete, lease: { owner: 'o', until: NOW + 30_000 } },
      configured: false,
      want: 'waiting',
    },
    {
      name: 'no config, published at an older revision',
      record: { ...complete, published: { ...published, revision: 2 } },
      configured: false,
      want: 'waiting',
    },
    {
      name: 'no config, published at this revision (the tags hold it)',
      record: { ...complete, published: { ...published, revision: 3 } },
      configured: false,
      want: 'published',
    },
    {
      name: 'no config, failed at this revision',
      record: { ...complete, error: { kind: 'failed', message: 'x', at, revision: 3 } },
      configured: false,
      want: 'waiting',
    },
    {
      name: 'no config, conflict at this revision',
      record: { ...complete, error: { kind: 'conflict', message: 'x', at, revision: 3 } },
      configured: false,
      want: 'conflict',
    },
  ];
  for (const { name, record: input, configured = true, want } of cases) {
    it(name, () => expect(deriveState(configured ? config() : undefined, input, NOW)).toBe(want));
  }
});

describe('deriveState with staleAfter', () => {
  const waiting = record([amd64], { createdAt: '2026-11-27T10:00:00.000Z' });
  const cases: Array<{ name: string; staleAfter: string | null; now: string; want: VersionState }> = [
    { name: 'never stale without staleAfter', staleAfter: null, now: '2027-01-01T00:00:00.000Z', want: 'waiting' },
    { name: 'waiting before staleAfter', staleAfter: '30m', now: '2026-11-27T10:29:59.999Z', want: 'waiting' },
    { name: 'stale from staleAfter on', staleAfter: '30m', now: '2026-11-27T10:30:00.000Z', want: 'stale' },
    { name: 'stale in days', staleAfter: '2d', now: '2026-11-29T10:00:00.000Z', want: 'stale' },
  ];
  for (const { name, staleAfter, now, want } of cases) {
    it(name, () => expect(deriveState(config({ staleAfter }), waiting, Date.parse(now))).toBe(want));
  }
  it('a complete version is never stale', () => {
    expect(deriveState(config({ staleAfter: '1m' }), record([amd64, arm64]), Date.parse('2027-01-01T00:00:00.000Z'))).toBe('publishing');
  });
});
