import { describe, expect, it } from 'vitest';
import { BackfillPlan } from '../../../src/cli/api-types.ts';
import { formatBackfillPlan } from '../../../src/cli/format/format-backfill.ts';

const plan = (versions: unknown[], problems: unknown[] = [], tagsScanned = 7) =>
  BackfillPlan.parse({ repository: 'team/hello', tagsScanned, versions, problems });
const entry = (version: string, platforms: string[], missingPlatforms: string[], action: string) => ({
  version,
  platforms,
  missingPlatforms,
  tags: platforms.map((p) => `${version}-${p.split('/')[1]}`),
  action,
});

describe('formatBackfillPlan', () => {
  describe('when versions would be published, wait and conflict', () => {
    it('prints a table, the problems, and what a backfill would do', () => {
      const text = formatBackfillPlan(
        plan(
          [
            entry('2.6', ['linux/amd64', 'linux/arm64'], [], 'publish'),
            entry('2.7', ['linux/amd64'], ['linux/arm64'], 'wait'),
            entry('2.8', ['linux/amd64', 'linux/arm64'], [], 'conflict'),
          ],
          [
            {
              tag: '2.8-aarch64',
              error: '2.8-arm64 (sha256:aa) and 2.8-aarch64 (sha256:bb) both claim platform linux/arm64 of version 2.8',
            },
            { tag: '2.9-amd64', error: 'manifest unknown' },
          ],
        ),
      );
      expect(text).toBe(
        [
          'team/hello: 7 tags scanned, 3 versions found',
          '',
          'VERSION  PLATFORMS                MISSING      ACTION',
          '2.6      linux/amd64,linux/arm64  -            publish',
          '2.7      linux/amd64              linux/arm64  wait',
          '2.8      linux/amd64,linux/arm64  -            conflict !',
          '',
          'Tags that could not be used:',
          '! 2.8-aarch64: 2.8-arm64 (sha256:aa) and 2.8-aarch64 (sha256:bb) both claim platform linux/arm64 of version 2.8',
          '! 2.9-amd64: manifest unknown',
          '',
          'A backfill would publish 1 version; 1 would wait for missing platforms; 1 would not be published (flagged !).',
          "Run 'manifest-assembler backfill team/hello' without --dry-run to do it.",
        ].join('\n'),
      );
    });
  });

  describe('when nothing would be published', () => {
    it('does not suggest running it', () => {
      expect(formatBackfillPlan(plan([entry('1', ['linux/amd64'], ['linux/arm64'], 'wait')], [], 1))).toBe(
        [
          'team/hello: 1 tag scanned, 1 version found',
          '',
          'VERSION  PLATFORMS    MISSING      ACTION',
          '1        linux/amd64  linux/arm64  wait',
          '',
          'A backfill would publish 0 versions; 1 would wait for missing platforms.',
        ].join('\n'),
      );
    });
  });

  describe('when no tag matches', () => {
    it('says there is nothing to backfill', () => {
      expect(formatBackfillPlan(plan([], [], 0))).toBe(
        [
          'team/hello: 0 tags scanned, 0 versions found',
          '',
          'Nothing to backfill: no unpublished per-arch tag matches the tag pattern.',
        ].join('\n'),
      );
    });
  });
});
