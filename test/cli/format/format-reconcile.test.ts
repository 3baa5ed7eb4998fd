import { describe, expect, it } from 'vitest';
import { ReconcileReport } from '../../../src/cli/api-types.ts';
import { formatReconcileReport, formatReconcileTotals, hasFailures } from '../../../src/cli/format/format-reconcile.ts';
import { reconcileReport } from '../support/fake-api-server.ts';

const report = (extra: Record<string, unknown> = {}) => ReconcileReport.parse(reconcileReport('team/hello', extra));
const INDEX = `sha256:${'e'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

describe('formatReconcileReport', () => {
  describe('when the run found nothing', () => {
    it('is one line', () => {
      expect(formatReconcileReport(report({ tagsScanned: 1, versionsChecked: 12 }))).toBe(
        'team/hello: 1 tag scanned, 12 versions checked; nothing to repair',
      );
    });
  });

  describe('when the run found every kind of thing', () => {
    it('lists each kind on a labelled line, drift with both digests and the action', () => {
      const text = formatReconcileReport(
        report({
          tagsScanned: 14,
          versionsChecked: 6,
          pushesRecovered: ['2.7-arm64', '2.8-amd64'],
          published: ['2.7'],
          publishedPartially: ['2.6'],
          stale: ['2.6', '2.9'],
          drift: [
            { version: '2.5', tag: '2.5', expected: INDEX, actual: OTHER, action: 'reported' },
            { version: '2.4', tag: 'latest', expected: INDEX, actual: null, action: 'restored' },
          ],
          failures: [{ what: 'team/hello:2.3', error: 'PutImage throttled' }],
        }),
      );
      expect(text).toBe(
        [
          'team/hello: 14 tags scanned, 6 versions checked',
          '  recovered pushes     2.7-arm64, 2.8-amd64',
          '  published            2.7',
          '  published partially  2.6',
          '  stale                2.6, 2.9',
          `  drift                2.5  tag 2.5     reported  expected ${INDEX}  actual ${OTHER}`,
          `                       2.4  tag latest  restored  expected ${INDEX}  actual none`,
          '  failures             team/hello:2.3: PutImage throttled',
        ].join('\n'),
      );
    });
  });

  describe('when only failures are listed', () => {
    it('labels them with the width of the one label', () => {
      expect(
        formatReconcileReport(
          report({
            failures: [
              { what: 'team/hello:2.7-arm64', error: 'registry unavailable' },
              { what: 'team/hello:2.8', error: 'x' },
            ],
          }),
        ),
      ).toBe(
        [
          'team/hello: 0 tags scanned, 0 versions checked',
          '  failures  team/hello:2.7-arm64: registry unavailable',
          '            team/hello:2.8: x',
        ].join('\n'),
      );
    });
  });
});

describe('formatReconcileTotals', () => {
  it('adds the runs up and leaves out kinds with none', () => {
    const reports = [
      report({ tagsScanned: 500, pushesRecovered: ['1-amd64'] }),
      report({ tagsScanned: 20, versionsChecked: 3, published: ['1', '2'], failures: [{ what: 'x', error: 'y' }] }),
    ];
    expect(formatReconcileTotals(reports)).toBe('2 runs, 520 tags scanned, 3 versions checked, 1 push recovered, 2 published, 1 failure');
  });

  it('says so when there is one run that found nothing', () => {
    expect(formatReconcileTotals([report()])).toBe('1 run, 0 tags scanned, 0 versions checked');
  });

  it('counts floating tags repaired', () => {
    const reports = [report({ floatingRepaired: ['latest', '2.7'] })];
    expect(formatReconcileTotals(reports)).toBe('1 run, 0 tags scanned, 0 versions checked, 2 floating tags repaired');
    expect(formatReconcileReport(reports[0]!)).toContain('floating tags repaired  latest, 2.7');
  });
});

describe('hasFailures', () => {
  it('is true when any report lists a failure', () => {
    expect(hasFailures([report(), report({ failures: [{ what: 'x', error: 'y' }] })])).toBe(true);
    expect(hasFailures([report(), report({ stale: ['1'] })])).toBe(false);
  });
});
