import { describe, expect, it } from 'vitest';
import { formatLambdaInitReport, type LambdaInitRun } from '../../../bench/lambda-init/init-report.ts';

const plain = {
  initMs: new Map([
    ['sdk-only floor', [300, 310, 320]],
    ['api', [303, 314, 322]],
    ['reconcile', [309, 318, 330]],
  ]),
  droppedRounds: 1,
};
const cached = {
  initMs: new Map([
    ['sdk-only floor', [250, 260, 270]],
    ['api', [251, 262, 270]],
    ['reconcile', [252, 261, 272]],
  ]),
  droppedRounds: 0,
};
const run: LambdaInitRun = {
  startedAt: new Date('2026-12-02T21:00:00Z'),
  region: 'eu-west-1',
  runtime: 'nodejs22.x',
  architecture: 'arm64',
  memoryMb: 256,
  labels: ['sdk-only floor', 'api', 'reconcile'],
  variants: [{ name: 'as deployed', samples: plain }],
  roundsAsked: 4,
};

describe('formatLambdaInitReport', () => {
  it('gives each bundle its Init Duration and its paired median over the floor, marked against the 5 ms bound', () => {
    const report = formatLambdaInitReport(run);
    expect(report).toContain('2026-12-02T21:00:00.000Z, eu-west-1, nodejs22.x on arm64, 256 MB. 4 rounds asked; kept 3 as deployed (');
    expect(report).toContain('| bundle | as deployed: Init Duration, p50 | over the floor, median [95 %] |\n| --- | --- | --- |');
    expect(report).toContain('| sdk-only floor | 310.0 ms | — |');
    expect(report).toContain('| api | 314.0 ms | **+3.0** [+2.0, +4.0] ms ✓ |');
    expect(report).toContain('| reconcile | 318.0 ms | **+9.0** [+8.0, +10.0] ms ✗ |');
    expect(report).not.toContain('compile cache taken');
  });

  it("adds each variant's columns, and says for each bundle whether its compile cache served every start file", () => {
    const report = formatLambdaInitReport({
      ...run,
      variants: [
        ...run.variants,
        {
          name: 'with a compile cache',
          samples: cached,
          compileCache: { notFromCache: new Map([['reconcile', ['chunks/start.mjs']]]), node: 'v22.23.5' },
        },
      ],
    });
    expect(report).toContain('nodejs22.x (node v22.23.5) on arm64');
    expect(report).toContain('kept 3 as deployed, 3 with a compile cache (');
    expect(report).toContain(
      '| bundle | as deployed: Init Duration, p50 | over the floor, median [95 %] | with a compile cache: Init Duration, p50 | over the floor, median [95 %] | compile cache taken for every start file |',
    );
    expect(report).toContain('| sdk-only floor | 310.0 ms | — | 260.0 ms | — | yes |');
    expect(report).toContain('| api | 314.0 ms | **+3.0** [+2.0, +4.0] ms ✓ | 262.0 ms | **+1.0** [+0.0, +2.0] ms ✓ | yes |');
    expect(report).toContain(
      '| reconcile | 318.0 ms | **+9.0** [+8.0, +10.0] ms ✗ | 261.0 ms | **+2.0** [+1.0, +2.0] ms ✓ | no: chunks/start.mjs compiled from source |',
    );
  });

  it('says so where a variant kept no round, rather than printing NaN', () => {
    const none = {
      initMs: new Map([
        ['sdk-only floor', []],
        ['api', []],
        ['reconcile', []],
      ]),
      droppedRounds: 4,
    };
    const report = formatLambdaInitReport({ ...run, variants: [{ name: 'as deployed', samples: none }] });
    expect(report).toContain('| api | no round kept | — |');
    expect(report).not.toContain('NaN');
  });
});
