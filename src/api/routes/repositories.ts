import { listConfiguredRepositories } from '../../core/configure-repository.ts';
import type { RepositoryListResponse } from '../response-schemas.ts';
import type { Route, RouteFunction } from '../routes.ts';

/** GET /v1/repositories: every configured repository with its config. */
export const getRepositories: RouteFunction<Route, RepositoryListResponse> = async (deps) => ({ repositories: await listConfiguredRepositories(deps) });
