import { describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../src/core/reconcile.ts';
import { summariseReconcilePass } from '../../src/local/reconcile-summary.ts';
import { reconcileReportOf } from '../support/reconcile-report.ts';

function report(repository: string, parts: Partial<ReconcileReport> = {}): ReconcileReport {
  return reconcileReportOf(repository, { tagsScanned: 4, versionsChecked: 2, ...parts });
}

describe('summariseReconcilePass', () => {
  describe('when nothing was found', () => {
    it('says so at debug level, with what was looked at', () => {
      expect(summariseReconcilePass([report('a'), report('b')], 12.4)).toEqual({
        level: 'debug',
        message: 'reconcile pass: nothing to repair',
        fields: { repositories: 2, tagsScanned: 8, versionsChecked: 4, ms: 12 },
      });
    });

    it('handles a pass over no repository', () => {
      expect(summariseReconcilePass([], 0)).toMatchObject({ level: 'debug', fields: { repositories: 0 } });
    });
  });

  describe('when floating tags were repaired', () => {
    it('names them by repository at info', () => {
      const line = summariseReconcilePass([report('team/hello', { floatingRepaired: ['latest'] })], 1);
      expect(line).toMatchObject({
        level: 'info',
        message: 'reconcile pass: 1 floating tag repaired',
        fields: { floatingRepaired: 'team/hello:latest' },
      });
    });
  });

  describe('when lost pushes were recovered and versions published', () => {
    it('gives one info line naming them by repository', () => {
      const line = summariseReconcilePass(
        [
          report('team/hello', { pushesRecovered: ['2.7-amd64', '2.7-arm64'], published: ['2.7'] }),
          report('other', { publishedPartially: ['1.0'], stale: ['0.9'] }),
        ],
        3,
      );
      expect(line).toEqual({
        level: 'info',
        message: 'reconcile pass: 2 lost pushes recovered, 1 version published, 1 stale version published partially, 1 version stale',
        fields: {
          recovered: 'team/hello:2.7-amd64,team/hello:2.7-arm64',
          published: 'team/hello:2.7',
          publishedPartially: 'other:1.0',
          stale: 'other:0.9',
          drift: undefined,
          failures: undefined,
          repositories: 2,
          tagsScanned: 8,
          versionsChecked: 4,
          ms: 3,
        },
      });
    });
  });

  describe('when something failed or a version tag moved', () => {
    it.each([
      [
        'a failure',
        { failures: [{ what: 'hello:2.7', error: 'registry unavailable' }] },
        '1 failure',
        { failures: 'hello:2.7: registry unavailable' },
      ],
      [
        'drift',
        { drift: [{ version: '2.7', tag: '2.7', expected: 'sha256:a', actual: 'sha256:b', action: 'reported' as const }] },
        '1 version tag moved elsewhere',
        { drift: 'hello:2.7(reported)' },
      ],
    ])('warns about %s', (_name, parts, said, fields) => {
      const line = summariseReconcilePass([report('hello', parts)], 1);
      expect(line.level).toBe('warn');
      expect(line.message).toBe(`reconcile pass: ${said}`);
      expect(line.fields).toMatchObject(fields);
    });
  });

  it('warns about per-arch tags found in conflict, naming them', () => {
    const line = summariseReconcilePass([report('hello', { conflicts: [{ tag: '2.7-x86', message: 'both claim linux/amd64' }] })], 5);
    expect(line.level).toBe('warn');
    expect(line.message).toBe('reconcile pass: 1 per-arch tag in conflict');
    expect(line.fields.conflicts).toBe('hello:2.7-x86');
  });
});
