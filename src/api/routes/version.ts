import { checkRepositoryName } from '../../core/repository-name.ts';
import { checkVersion } from '../../core/tag-pattern.ts';
import { getVersionStatus } from '../../core/version-status.ts';
import type { VersionStatusResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';

/** GET …/{repository}/versions/{version}: everything known about the version; 404 until a push of it is recorded. */
export const getVersion: RouteFunction<RouteNamed<'version'>, VersionStatusResponse> = async (deps, { route }) =>
  getVersionStatus(deps, { repository: checkRepositoryName(route.repository), version: checkVersion(route.version) });
