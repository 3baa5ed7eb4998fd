import { percentile } from '../harness.ts';
import { intervalText, signed } from '../report.ts';
import { type ColdStartSamples, overFloor } from './cold-start-rounds.ts';
import type { LambdaInitResult, LambdaInitVariant } from './lambda-init-bench.ts';

/** Issue 8's bound on a function's init over the SDK-only floor. */
export const INIT_BOUND_MS = 5;

/** What one run of `npm run bench:lambda` found, for {@link formatLambdaInitReport}. */
export interface LambdaInitRun extends LambdaInitResult {
  readonly startedAt: Date;
  readonly region: string;
  readonly runtime: string;
  readonly architecture: string;
  readonly memoryMb: number;
  /** The floor's label first, then each function's. */
  readonly labels: readonly string[];
  readonly roundsAsked: number;
}

/**
 * The run as RESULTS-lambda.md gives it: a row per bundle, and for each variant (as deployed first)
 * the bundle's median `Init Duration` and its paired median over the floor's, marked against the bound.
 */
export function formatLambdaInitReport(run: LambdaInitRun): string {
  const [floor] = run.labels;
  if (floor === undefined) throw new Error('a run without a floor has nothing to report');
  const kept = (samples: ColdStartSamples) => samples.initMs.get(floor)?.length ?? 0;
  const cacheVariant = run.variants.find((v) => v.compileCache !== undefined);
  const node = cacheVariant?.compileCache?.node;
  const heading = [
    '# Cold starts on Lambda (`npm run bench:lambda`)',
    '',
    `${run.startedAt.toISOString()}, ${run.region}, ${run.runtime}${node === undefined ? '' : ` (node ${node})`} on ${run.architecture}, ` +
      `${run.memoryMb} MB. ${run.roundsAsked} rounds asked; kept ${run.variants.map((v) => `${kept(v.samples)} ${v.name}`).join(', ')}` +
      ' (a round is dropped when one of its invocations found an execution environment up and reported no `Init Duration`).',
    '',
    "`Init Duration` is Lambda's: the runtime's start and the import of the handler's module with what it runs at load. " +
      'Each function is measured against the SDK-only floor (bench/sdk-floor.ts, built as the functions are), deployed the same way and ' +
      `cold-started in the same round; the median of those differences is given with its 95 % interval. Issue 8's bound: ≤ ${INIT_BOUND_MS} ms over the floor.`,
  ];
  const cells = (label: string, variant: LambdaInitVariant) => {
    const samples = variant.samples.initMs.get(label) ?? [];
    // Every round of this variant dropped (each found an environment up): nothing to give.
    if (samples.length === 0) return ['no round kept', '—'];
    const p50 = `${percentile(samples, 0.5).toFixed(1)} ms`;
    if (label === floor) return [p50, '—'];
    const interval = overFloor(variant.samples, label, floor);
    return [p50, `**${signed(interval.median)}**${intervalText(interval)} ms ${interval.median <= INIT_BOUND_MS ? '✓' : '✗'}`];
  };
  const cacheCell = (label: string) => {
    const missed = cacheVariant?.compileCache?.notFromCache.get(label) ?? [];
    return missed.length === 0 ? 'yes' : `no: ${missed.join(', ')} compiled from source`;
  };
  const columns = [
    'bundle',
    ...run.variants.flatMap((v) => [`${v.name}: Init Duration, p50`, 'over the floor, median [95 %]']),
    ...(cacheVariant === undefined ? [] : ['compile cache taken for every start file']),
  ];
  const rows = run.labels.map((label) => [
    label,
    ...run.variants.flatMap((v) => cells(label, v)),
    ...(cacheVariant === undefined ? [] : [cacheCell(label)]),
  ]);
  return [...heading, '', ...[columns, columns.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`), ''].join('\n');
}
