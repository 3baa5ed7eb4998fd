import { percentile } from '../harness.ts';
import { intervalText, signed } from '../report.ts';
import { type ColdStartSamples, overFloor } from './cold-start-rounds.ts';
import type { LambdaInitResult } from './lambda-init-bench.ts';

/** Issue 8's bound on a function's init over the SDK-only floor. */
export const INIT_BOUND_MS = 5;

/** What one run of `npm run bench:lambda` found, for {@link formatLambdaInitReport}. */
export interface LambdaInitRun {
  readonly startedAt: Date;
  readonly region: string;
  readonly runtime: string;
  readonly architecture: string;
  readonly memoryMb: number;
  /** The floor's label first, then each function's. */
  readonly labels: readonly string[];
  readonly plain: ColdStartSamples;
  /**
   * The same labels with a compile cache each, when that step ran: the rounds, per label the start
   * files Lambda's node did not take from the cache, and the node version that made the caches.
   */
  readonly cached?: LambdaInitResult['cached'];
  readonly roundsAsked: number;
}

/** The run as RESULTS-lambda.md gives it: a table of each bundle's Init Duration and its init over the floor, without and with a compile cache. */
export function formatLambdaInitReport(run: LambdaInitRun): string {
  const [floor, ...functions] = run.labels;
  if (floor === undefined) throw new Error('a run without a floor has nothing to report');
  const kept = (samples: ColdStartSamples) => samples.initMs.get(floor)?.length ?? 0;
  const heading = [
    '# Cold starts on Lambda (`npm run bench:lambda`)',
    '',
    `${run.startedAt.toISOString()}, ${run.region}, ${run.runtime}${run.cached === undefined ? '' : ` (node ${run.cached.node})`} on ${run.architecture}, ` +
      `${run.memoryMb} MB. ${run.roundsAsked} rounds asked; kept ${kept(run.plain)} without a cache` +
      `${run.cached === undefined ? '' : `, ${kept(run.cached.samples)} with`}` +
      ' (a round is dropped when one of its invocations found an execution environment up and reported no `Init Duration`).',
    '',
    "`Init Duration` is Lambda's: the runtime's start and the import of the handler's module with what it runs at load. " +
      'Each function is measured against the SDK-only floor (bench/sdk-floor.ts, built as the functions are) cold-started in the same round; ' +
      `the median of those differences is given with its 95 % interval. Issue 8's bound: ≤ ${INIT_BOUND_MS} ms over the floor.`,
  ];
  const row = (label: string) => {
    const p50 = (samples: ColdStartSamples) => `${percentile(samples.initMs.get(label) ?? [], 0.5).toFixed(1)} ms`;
    const over = (samples: ColdStartSamples) => {
      if (label === floor) return '—';
      const interval = overFloor(samples, label, floor);
      return `**${signed(interval.median)}**${intervalText(interval)} ms ${interval.median <= INIT_BOUND_MS ? '✓' : '✗'}`;
    };
    const cached = run.cached;
    const cells = [label, p50(run.plain), over(run.plain)];
    if (cached !== undefined) {
      const missed = cached.notFromCache.get(label) ?? [];
      cells.push(p50(cached.samples), over(cached.samples), missed.length === 0 ? 'yes' : `no: ${missed.join(', ')} compiled from source`);
    }
    return `| ${cells.join(' | ')} |`;
  };
  const header =
    run.cached === undefined
      ? ['| bundle | Init Duration, p50 | over the floor, median [95 %] |', '| --- | --- | --- |']
      : [
          '| bundle | Init Duration, p50 | over the floor, median [95 %] | with its compile cache: p50 | over the floor with its cache [95 %] | cache taken for every start file |',
          '| --- | --- | --- | --- | --- | --- |',
        ];
  return [...heading, '', ...header, ...[floor, ...functions].map(row), ''].join('\n');
}
