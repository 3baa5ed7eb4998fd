import { checkRepositoryName } from '../../core/repository-name.ts';
import { checkVersion } from '../../core/tag-pattern.ts';
import { getVersionHistory } from '../../core/version-history.ts';
import type { VersionHistoryResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';

/** GET …/{repository}/versions/{version}/history: the version's history, oldest entry first; 404 when never recorded. */
export const getHistory: RouteFunction<RouteNamed<'history'>, VersionHistoryResponse> = async (deps, { route }) =>
  getVersionHistory(deps, { repository: checkRepositoryName(route.repository), version: checkVersion(route.version) });
