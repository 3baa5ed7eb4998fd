import { publishNow } from '../../core/publish-now.ts';
import { checkRepositoryName } from '../../core/repository-name.ts';
import { checkVersion } from '../../core/tag-pattern.ts';
import type { VersionStatusResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';
import { parseWith, publishBodySchema } from '../schemas.ts';

/** API Gateway answers within 30 s: wait for another publisher 20 s at most, then 503 (retry). */
const WAIT_FOR_PUBLISHER_MS = 20_000;

/**
 * POST …/{repository}/versions/{version}/publish `{ allowPartial? }`: publishes now (or re-applies the
 * config to a published version) and answers with the status; 409 when platforms are missing or the
 * version is in conflict, 502 when the registry refused the index.
 */
export const postPublish: RouteFunction<RouteNamed<'publish'>, VersionStatusResponse> = async (deps, { route, body }) => {
  const key = { repository: checkRepositoryName(route.repository), version: checkVersion(route.version) };
  const { allowPartial } = parseWith(publishBodySchema, body ?? {}, 'body');
  return publishNow(deps, key, { allowPartial: allowPartial === true, waitForLeaseMs: WAIT_FOR_PUBLISHER_MS });
};
