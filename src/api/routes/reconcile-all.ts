import { reconcileAll } from '../../core/reconcile-all.ts';
import type { ReconcileReportsResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';
import { parseWith, reconcileAllBodySchema } from '../schemas.ts';
import { API_WORK_BUDGET_MS } from '../work-budget.ts';

/** POST /v1/reconcile: one pass over every configured repository, stopping in time to answer (the next call resumes). */
export const postReconcileAll: RouteFunction<RouteNamed<'reconcile-all'>, ReconcileReportsResponse> = async (deps, { body }) => {
  parseWith(reconcileAllBodySchema, body ?? {}, 'body');
  return { reports: await reconcileAll(deps, { deadline: deps.clock.now() + API_WORK_BUDGET_MS }) };
};
