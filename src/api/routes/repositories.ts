import { listConfiguredRepositories } from '../../core/configure-repository.ts';
import type { RepositoryListResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';

/** GET /v1/repositories: every configured repository with its config. */
export const getRepositories: RouteFunction<RouteNamed<'list-repositories'>, RepositoryListResponse> = async (deps) => ({
  repositories: await listConfiguredRepositories(deps),
});
