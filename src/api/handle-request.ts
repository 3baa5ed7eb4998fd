import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InvalidInputError, RepositoryNotConfiguredError } from '../core/errors.ts';
import type { Dependencies } from '../core/ports.ts';
import { normaliseRepositoryConfig, type RepositoryConfig, requireRepositoryConfig } from '../core/repository-config.ts';
import { compileTagPattern } from '../core/tag-pattern.ts';
import type { Route } from './routes.ts';
import { jsonResponse } from './problem.ts';
import { backfillRepository, planBackfill } from '../core/backfill.ts';
import { reconcileAll } from '../core/reconcile-all.ts';
import { reconcileRepository } from '../core/reconcile.ts';
import { republishRepository } from '../core/republish-repository.ts';
import {
  backfillBodySchema,
  listVersionsQuerySchema,
  parseWith,
  publishBodySchema,
  reconcileAllBodySchema,
  reconcileBodySchema,
  repositoryConfigBodySchema,
  repositoryNameSchema,
  versionSchema,
} from './schemas.ts';
import { getVersionHistory, getVersionStatus, listVersionStatuses, publishNow } from './version-queries.ts';

const API_WORK_BUDGET_MS = 20_000;

export interface ApiRequest {
  readonly method: string;
  readonly route: Route;
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body, or undefined when there was none. */
  readonly body: unknown;
}

/** Runs one recognised API route (docs/api.md). Throws domain errors; the caller maps them to problems. */
export async function handleApiRequest(deps: Dependencies, request: ApiRequest): Promise<APIGatewayProxyStructuredResultV2> {
  const { route } = request;
  const { store } = deps;
  if (route.name === 'health') return jsonResponse(200, { status: 'ok' });
  if (route.name === 'openapi') {
    // Generated on first request, from a chunk loaded only then: no cold start pays for the generator.
    const { openApiDocument } = await import('./openapi.ts');
    return jsonResponse(200, openApiDocument());
  }
  if (route.name === 'reconcile-all') {
    parseWith(reconcileAllBodySchema, request.body ?? {}, 'body');
    // An HTTP request must answer within API Gateway's 30 s: the pass stops in time and resumes next call.
    const reports = await reconcileAll(deps, { deadline: deps.clock.now() + API_WORK_BUDGET_MS });
    return jsonResponse(200, { reports });
  }
  if (route.name === 'list-repositories') {
    const repositories = await store.listRepositoryConfigs();
    return jsonResponse(200, { repositories });
  }

  const repository = parseWith(repositoryNameSchema, route.repository, 'repository');
  switch (route.name) {
    case 'config': {
      if (request.method === 'PUT') {
        if (request.body === undefined) throw new InvalidInputError('body: a JSON config is required', 'body');
        return putConfig(deps, repository, request.body);
      }
      if (request.method === 'DELETE') {
        await store.deleteRepositoryConfig(repository);
        return { statusCode: 204, headers: {}, body: '' };
      }
      return jsonResponse(200, await requireRepositoryConfig(store, repository));
    }
    case 'list-versions': {
      const query = parseWith(listVersionsQuerySchema, request.query, 'query');
      return jsonResponse(200, await listVersionStatuses(deps, repository, query));
    }
    case 'version': {
      const version = parseWith(versionSchema, route.version, 'version');
      return jsonResponse(200, await getVersionStatus(deps, repository, version));
    }
    case 'history': {
      const version = parseWith(versionSchema, route.version, 'version');
      return jsonResponse(200, await getVersionHistory(deps, repository, version));
    }
    case 'reconcile': {
      const body = parseWith(reconcileBodySchema, request.body ?? {}, 'body');
      // The reconciler passes over a repository without config silently; asked for by name, that is a typo to report.
      await requireRepositoryConfig(store, repository);
      return jsonResponse(200, await reconcileRepository(deps, repository, { cursor: body.cursor }));
    }
    case 'backfill': {
      const body = parseWith(backfillBodySchema, request.body ?? {}, 'body');
      if (body.republish === true) {
        const config = await requireRepositoryConfig(store, repository);
        const options = { dryRun: body.dryRun === true, cursor: body.cursor ?? null, deadline: deps.clock.now() + API_WORK_BUDGET_MS };
        return jsonResponse(200, await republishRepository(deps, repository, config, options));
      }
      if (body.dryRun === true) {
        const plan = await planBackfill(deps, repository);
        if (plan === undefined) throw new RepositoryNotConfiguredError(repository);
        return jsonResponse(200, plan);
      }
      await requireRepositoryConfig(store, repository);
      const reports = await backfillRepository(deps, repository, { cursor: body.cursor ?? null, maxRuns: 5 });
      return jsonResponse(200, { reports, cursor: reports.at(-1)?.cursor ?? null });
    }
    case 'publish': {
      const version = parseWith(versionSchema, route.version, 'version');
      const body = parseWith(publishBodySchema, request.body ?? {}, 'body');
      return publishNow(deps, repository, version, body.allowPartial === true);
    }
  }
}

async function putConfig(deps: Dependencies, repository: string, body: unknown): Promise<APIGatewayProxyStructuredResultV2> {
  const input = parseWith(repositoryConfigBodySchema, body, 'body');
  let config: RepositoryConfig;
  try {
    config = normaliseRepositoryConfig(input);
    // The pattern's RE2 syntax, which normalising alone does not check (re2js loads on demand).
    await compileTagPattern(config.tagPattern);
  } catch (error) {
    if (error instanceof InvalidInputError && error.field !== undefined) {
      throw new InvalidInputError(`body.${error.message}`, `body.${error.field}`);
    }
    throw error;
  }
  await deps.store.putRepositoryConfig(repository, config);
  deps.logger.info('repository configured', { repository, config });
  return jsonResponse(200, config);
}
