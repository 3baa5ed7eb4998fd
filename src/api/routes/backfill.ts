import { backfill } from '../../core/backfill.ts';
import { checkRepositoryName } from '../../core/repository-name.ts';
import type { BackfillResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';
import { backfillBodySchema, parseWith } from '../schemas.ts';
import { API_WORK_BUDGET_MS } from '../work-budget.ts';

/** Reconcile runs one backfill request makes at most; each is bounded, so the request answers in time. */
const MAX_RUNS_PER_REQUEST = 5;

/**
 * POST …/{repository}/backfill `{ dryRun?, republish?, cursor? }`: publishes the versions already in the
 * registry (BackfillRun), plans it (dryRun: BackfillPlan), or re-applies the config (republish: RepublishReport).
 */
export const postBackfill: RouteFunction<RouteNamed<'backfill'>, BackfillResponse> = async (deps, { route, body }) => {
  const repository = checkRepositoryName(route.repository);
  const request = parseWith(backfillBodySchema, body ?? {}, 'body');
  return backfill(deps, repository, { ...request, deadline: deps.clock.now() + API_WORK_BUDGET_MS, maxRuns: MAX_RUNS_PER_REQUEST });
};
