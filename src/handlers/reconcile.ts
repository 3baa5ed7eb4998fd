import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Dependencies } from '../core/ports.ts';
import type { ReconcileReport } from '../core/reconcile.ts';
import { reconcileAll } from '../core/reconcile-all.ts';
import { flushMetrics, logFailures, withLambdaContext } from './middlewares.ts';

/** Time kept back from the Lambda timeout so the last page finishes and its checkpoint is saved. */
const SAFETY_MARGIN_MS = 15_000;
const DEFAULT_BUDGET_MS = 4 * 60_000;

/**
 * The scheduled `reconcile` Lambda: one pass over every configured repository within the
 * invocation's remaining time. Its summary is the return value and one log line per finding.
 */
export function createReconcileHandler(deps: Dependencies, options: { timeoutEarlyInMillis?: number } = {}) {
  return middy<unknown, { repositories: number; reports: ReconcileReport[] }, Error, Context>({
    timeoutEarlyInMillis: options.timeoutEarlyInMillis ?? 5,
  })
    .use(withLambdaContext(deps.logger))
    .use(flushMetrics(deps.metrics))
    .use(logFailures(deps.logger, 'reconcile'))
    .handler(async (_event, context) => {
      const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : DEFAULT_BUDGET_MS;
      const reports = await reconcileAll(deps, { deadline: deps.clock.now() + Math.max(remaining - SAFETY_MARGIN_MS, 1_000) });
      return { repositories: new Set(reports.map((r) => r.repository)).size, reports };
    });
}
