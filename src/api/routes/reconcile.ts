import { reconcileRepository } from '../../core/reconcile.ts';
import { checkRepositoryName } from '../../core/repository-name.ts';
import type { ReconcileReportResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';
import { parseWith, reconcileBodySchema } from '../schemas.ts';

/** POST …/{repository}/reconcile `{ cursor? }`: one bounded reconcile run; 404 when the repository has no config. */
export const postReconcile: RouteFunction<RouteNamed<'reconcile'>, ReconcileReportResponse> = async (deps, { route, body }) => {
  const repository = checkRepositoryName(route.repository);
  const { cursor } = parseWith(reconcileBodySchema, body ?? {}, 'body');
  return reconcileRepository(deps, repository, { cursor, requireConfig: true });
};
