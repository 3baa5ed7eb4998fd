import { checkRepositoryName } from '../../core/repository-name.ts';
import { listVersionStatuses } from '../../core/version-status.ts';
import type { VersionPageResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';
import { listVersionsQuerySchema, parseWith } from '../schemas.ts';

/** GET …/{repository}/versions?state=&limit=&cursor=: one page of version statuses. */
export const getVersions: RouteFunction<RouteNamed<'list-versions'>, VersionPageResponse> = async (deps, { route, query }) => {
  const repository = checkRepositoryName(route.repository);
  return listVersionStatuses(deps, repository, parseWith(listVersionsQuerySchema, query, 'query'));
};
