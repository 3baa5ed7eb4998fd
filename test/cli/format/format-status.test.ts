import { describe, expect, it } from 'vitest';
import { VersionStatus } from '../../../src/cli/api-types.ts';
import { formatStatusTable, formatVersionDetail, platformColumns, shortDigest } from '../../../src/cli/format/format-status.ts';
import { versionStatus } from '../support/fake-api-server.ts';

const INDEX = `sha256:${'e'.repeat(64)}`;
const published = (tags: string[]) => ({
  digest: INDEX,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  tags,
  at: '2026-11-27T10:00:01.000Z',
});
const status = (...args: Parameters<typeof versionStatus>) => VersionStatus.parse(versionStatus(...args));

describe('shortDigest', () => {
  it('keeps the first 12 hex digits', () => {
    expect(shortDigest('sha256:0123456789abcdef0123')).toBe('0123456789ab');
  });
});

describe('platformColumns', () => {
  it('puts the required then the optional platforms first, then any other a version has', () => {
    const versions = [status('1', 'waiting', { 'linux/amd64': 'a', 'linux/s390x': 'b' }, {}, ['linux/amd64', 'linux/ppc64le'])];
    const columns = platformColumns({ requiredPlatforms: ['linux/arm64', 'linux/amd64'], optionalPlatforms: ['linux/arm/v7'] }, versions);
    expect(columns).toEqual(['linux/arm64', 'linux/amd64', 'linux/arm/v7', 'linux/ppc64le', 'linux/s390x']);
  });

  it('uses the versions alone when the repository has no config', () => {
    expect(platformColumns(undefined, [status('1', 'waiting', { 'linux/arm64': 'a' })])).toEqual(['linux/amd64', 'linux/arm64']);
  });
});

describe('formatStatusTable', () => {
  describe('when every version is fine', () => {
    it('prints one row per version with short digests and - for missing platforms', () => {
      const versions = [
        status(
          '2.7',
          'published',
          { 'linux/amd64': '0123456789abcdef', 'linux/arm64': 'fedcba9876543210' },
          { published: published(['2.7']) },
        ),
        status('2.8', 'waiting', { 'linux/amd64': '1234' }),
      ];
      expect(formatStatusTable(versions, ['linux/amd64', 'linux/arm64', 'linux/arm/v7'])).toBe(
        [
          'VERSION  linux/amd64   linux/arm64   linux/arm/v7  STATE      PUBLISHED',
          '2.7      0123456789ab  fedcba987654  -             published  eeeeeeeeeeee',
          '2.8      123412341234  -             -             waiting    -',
        ].join('\n'),
      );
    });
  });

  describe('when versions are stale, failed or in conflict', () => {
    it('flags them with ! and explains each under the table', () => {
      const versions = [
        status('2.6', 'publishing', { 'linux/amd64': 'a', 'linux/arm64': 'b' }, { published: published(['2.6', 'latest']) }),
        status(
          '2.7',
          'conflict',
          { 'linux/amd64': 'c', 'linux/arm64': 'd' },
          { error: 'two images claim linux/arm64: 2.7-arm64 and 2.7-aarch64' },
        ),
        status('2.8', 'failed', { 'linux/amd64': 'f' }, { error: { message: 'PutImage throttled; will retry' } }),
        status('2.9', 'stale', { 'linux/amd64': '9' }),
        status('3.0', 'stale', { 'linux/amd64': '3' }, { published: { ...published(['3.0']), partial: true } }),
      ];
      expect(formatStatusTable(versions, ['linux/amd64', 'linux/arm64'])).toBe(
        [
          'VERSION  linux/amd64   linux/arm64   STATE       PUBLISHED',
          '2.6      aaaaaaaaaaaa  bbbbbbbbbbbb  publishing  eeeeeeeeeeee',
          '2.7      cccccccccccc  dddddddddddd  conflict !  -',
          '2.8      ffffffffffff  -             failed !    -',
          '2.9      999999999999  -             stale !     -',
          '3.0      333333333333  -             stale !     eeeeeeeeeeee partial',
          '',
          '! 2.7 conflict: two images claim linux/arm64: 2.7-arm64 and 2.7-aarch64',
          '! 2.8 failed: PutImage throttled; will retry',
          '! 2.9 stale: still waiting for linux/arm64',
          '! 3.0 stale: still waiting for linux/arm64',
        ].join('\n'),
      );
    });
  });
});

describe('formatStatusTable with floating tags', () => {
  it('adds a TAGS column with the tags each version holds', () => {
    const versions = [
      status(
        '2.7.2',
        'published',
        { 'linux/amd64': 'a', 'linux/arm64': 'b' },
        { published: published(['2.7.2']), tags: ['2.7.2', '2.7'], notes: ['latest stays on 2.8.0 (newer)'] },
      ),
      status(
        '2.8.0',
        'published',
        { 'linux/amd64': 'c', 'linux/arm64': 'd' },
        { published: published(['2.8.0']), tags: ['2.8.0', '2.8', 'latest'] },
      ),
      status('2.9.0', 'waiting', { 'linux/amd64': 'e' }),
    ];
    expect(formatStatusTable(versions, ['linux/amd64', 'linux/arm64'])).toBe(
      [
        'VERSION  linux/amd64   linux/arm64   STATE      PUBLISHED     TAGS',
        '2.7.2    aaaaaaaaaaaa  bbbbbbbbbbbb  published  eeeeeeeeeeee  2.7.2,2.7',
        '2.8.0    cccccccccccc  dddddddddddd  published  eeeeeeeeeeee  2.8.0,2.8,latest',
        '2.9.0    eeeeeeeeeeee  -             waiting    -             -',
      ].join('\n'),
    );
  });
});

describe('formatVersionDetail with floating tags', () => {
  it('lists the tags and the notes', () => {
    const version = status(
      '2.7.2',
      'published',
      { 'linux/amd64': '01', 'linux/arm64': '23' },
      {
        published: published(['2.7.2']),
        tags: ['2.7.2', '2.7'],
        notes: ['latest stays on 2.8.0 (newer)'],
      },
    );
    const lines = formatVersionDetail(version).split('\n');
    expect(
      lines.slice(
        lines.findIndex((l) => l.startsWith('tags')),
        lines.findIndex((l) => l.startsWith('error')),
      ),
    ).toEqual(['tags       2.7.2, 2.7', 'notes      latest stays on 2.8.0 (newer)']);
  });

  it('shows the notes of a pre-release that holds only its exact tag', () => {
    const version = status(
      '2.9.0-rc1',
      'published',
      { 'linux/amd64': '01', 'linux/arm64': '23' },
      {
        published: published(['2.9.0-rc1']),
        tags: ['2.9.0-rc1'],
        notes: ['2.9.0-rc1 is a pre-release: floating tags (latest) do not move to it'],
      },
    );
    expect(formatVersionDetail(version)).toContain('notes      2.9.0-rc1 is a pre-release: floating tags (latest) do not move to it');
  });
});

describe('refused pushes', () => {
  const refused = (tag: string, fill: string, reason: string, at = '2026-11-27T10:00:02.000Z') => ({
    tag,
    digest: `sha256:${fill.repeat(64)}`,
    reason,
    at,
  });
  const onlyRefused = () =>
    status(
      '2.7',
      'failed',
      {},
      {
        rejected: [
          refused('2.7-arm64', 'f', 'image config has no architecture'),
          refused('2.7-x', '7', 'Docker schema 1 is not supported', '2026-11-27T10:00:01.000Z'),
        ],
        error: `push of 2.7-arm64 (sha256:${'f'.repeat(64)}) was refused: image config has no architecture; push a fixed image under that tag (and 1 more refused push: 2.7-x)`,
      },
    );

  it('flags a version with refusals under the table, each refused tag once', () => {
    const versions = [
      onlyRefused(),
      // A refused rebuild of a published version: still published, but flagged.
      status(
        '2.6',
        'published',
        { 'linux/amd64': 'a', 'linux/arm64': 'b' },
        { published: published(['2.6']), rejected: [refused('2.6-arm64', 'c', 'image config has no architecture')] },
      ),
    ];
    expect(formatStatusTable(versions, ['linux/amd64', 'linux/arm64'])).toBe(
      [
        'VERSION  linux/amd64   linux/arm64   STATE        PUBLISHED',
        '2.7      -             -             failed !     -',
        '2.6      aaaaaaaaaaaa  bbbbbbbbbbbb  published !  eeeeeeeeeeee',
        '',
        `! 2.7 failed: push of 2.7-arm64 (sha256:${'f'.repeat(64)}) was refused: image config has no architecture; push a fixed image under that tag (and 1 more refused push: 2.7-x)`,
        '! 2.7 refused 2.7-x (777777777777): Docker schema 1 is not supported',
        '! 2.6 refused 2.6-arm64 (cccccccccccc): image config has no architecture',
      ].join('\n'),
    );
  });

  it('lists the refusals in the detail block', () => {
    const lines = formatVersionDetail(onlyRefused()).split('\n');
    expect(lines.filter((line) => line.startsWith('refused') || line.startsWith('         '))).toEqual([
      `refused    2.7-arm64  sha256:${'f'.repeat(64)}  at 2026-11-27T10:00:02.000Z  image config has no architecture`,
      `           2.7-x  sha256:${'7'.repeat(64)}  at 2026-11-27T10:00:01.000Z  Docker schema 1 is not supported`,
    ]);
  });

  it('reads a status without `rejected` (an older API) as none', () => {
    const { rejected: _rejected, ...older } = versionStatus('2.7', 'waiting', {}) as Record<string, unknown>;
    expect(VersionStatus.parse(older).rejected).toEqual([]);
  });
});

describe('formatVersionDetail', () => {
  it('prints a published version as a block', () => {
    const version = status('2.7', 'published', { 'linux/amd64': '01', 'linux/arm64': '23' }, { published: published(['2.7']) });
    expect(formatVersionDetail(version)).toBe(
      [
        'team/hello:2.7',
        'state      published',
        'required   linux/amd64, linux/arm64',
        'missing    -',
        `images     linux/amd64  sha256:${'01'.repeat(32)}  tag 2.7-amd64  401 bytes  application/vnd.oci.image.manifest.v1+json  pushed 2026-11-27T10:00:00.000Z`,
        `           linux/arm64  sha256:${'23'.repeat(32)}  tag 2.7-arm64  401 bytes  application/vnd.oci.image.manifest.v1+json  pushed 2026-11-27T10:00:00.000Z`,
        `published  ${INDEX}  application/vnd.oci.image.index.v1+json  tags 2.7  at 2026-11-27T10:00:01.000Z`,
        'error      -',
        'updated    2026-11-27T10:00:01.000Z',
      ].join('\n'),
    );
  });

  it('says when the published index is partial', () => {
    const version = status('2.7', 'waiting', { 'linux/amd64': '01' }, { published: { ...published(['2.7']), partial: true } });
    expect(
      formatVersionDetail(version)
        .split('\n')
        .find((line) => line.startsWith('published')),
    ).toBe(`published  ${INDEX}  application/vnd.oci.image.index.v1+json  partial  tags 2.7  at 2026-11-27T10:00:01.000Z`);
  });

  it('says what holds a tag another tool rewrote on top of the index', () => {
    const note = `2.7 holds sha256:${'5'.repeat(64)}, a SOCI-enabled index with every image of the published index ${INDEX} plus 2 artifacts added by another tool`;
    const heldBy = [{ tag: '2.7', digest: `sha256:${'5'.repeat(64)}`, note }];
    const version = status(
      '2.7',
      'published',
      { 'linux/amd64': '01', 'linux/arm64': '23' },
      { published: { ...published(['2.7']), heldBy } },
    );
    const lines = formatVersionDetail(version).split('\n');
    expect(lines[lines.findIndex((line) => line.startsWith('published')) + 1]).toBe(`held by    ${note}`);
  });

  it('flags a conflict and repeats its error under the block', () => {
    const version = status('2.7', 'conflict', {}, { error: 'tag 2.7 is immutable and points elsewhere', updatedAt: undefined });
    expect(formatVersionDetail(version)).toBe(
      [
        'team/hello:2.7',
        'state      conflict !',
        'required   linux/amd64, linux/arm64',
        'missing    linux/amd64, linux/arm64',
        'images     -',
        'published  -',
        'error      tag 2.7 is immutable and points elsewhere',
        'updated    -',
        '',
        '! 2.7 conflict: tag 2.7 is immutable and points elsewhere',
      ].join('\n'),
    );
  });
});
