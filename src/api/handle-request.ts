import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InvalidInputError, NotFoundError } from '../core/errors.ts';
import type { Dependencies } from '../core/ports.ts';
import { normaliseRepositoryConfig } from '../core/repository-config.ts';
import type { Route } from './routes.ts';
import { jsonResponse } from './problem.ts';
import { listVersionsQuerySchema, parseWith, publishBodySchema, repositoryConfigBodySchema, repositoryNameSchema, versionSchema } from './schemas.ts';
import { getVersionStatus, listVersionStatuses, publishNow } from './version-queries.ts';

export interface ApiRequest {
  readonly method: string;
  readonly route: Route;
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body, or undefined when there was none. */
  readonly body: unknown;
}

/** Runs one recognised API route (DESIGN §6). Throws domain errors; the caller maps them to problems. */
export async function handleApiRequest(deps: Dependencies, request: ApiRequest): Promise<APIGatewayProxyStructuredResultV2> {
  const { route } = request;
  const { store } = deps;
  if (route.name === 'health') return jsonResponse(200, { status: 'ok' });
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
      const config = await store.getRepositoryConfig(repository);
      if (config === undefined) throw new NotFoundError(`repository ${repository} has no configuration`, { repository });
      return jsonResponse(200, config);
    }
    case 'list-versions': {
      const query = parseWith(listVersionsQuerySchema, request.query, 'query');
      return jsonResponse(200, await listVersionStatuses(deps, repository, query));
    }
    case 'version': {
      const version = parseWith(versionSchema, route.version, 'version');
      return jsonResponse(200, await getVersionStatus(deps, repository, version));
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
  let config;
  try {
    config = normaliseRepositoryConfig(input);
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
