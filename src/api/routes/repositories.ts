import { listConfiguredRepositories } from '../../core/configure-repository.ts';
import type { RouteFunction } from '../routes.ts';

/** GET /v1/repositories: every configured repository with its config. */
export const getRepositories: RouteFunction = async (deps) => ({ repositories: await listConfiguredRepositories(deps) });
