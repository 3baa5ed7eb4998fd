import { configureRepository, unconfigureRepository } from '../../core/configure-repository.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { requireRepositoryConfig } from '../../core/repository-config.ts';
import { checkRepositoryName } from '../../core/repository-name.ts';
import type { RepositoryConfigResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';
import { inField, parseWith, repositoryConfigBodySchema } from '../schemas.ts';

type ConfigRoute<Answer> = RouteFunction<RouteNamed<'config'>, Answer>;

/** GET …/{repository}/config: the config as stored; 404 when there is none. */
export const getConfig: ConfigRoute<RepositoryConfigResponse> = async (deps, { route }) =>
  requireRepositoryConfig(deps.store, checkRepositoryName(route.repository));

/** PUT …/{repository}/config: answers with the config as stored (normalised); a bad field is a 400 naming `body.<field>`. */
export const putConfig: ConfigRoute<RepositoryConfigResponse> = async (deps, { route, body }) => {
  const repository = checkRepositoryName(route.repository);
  if (body === undefined) throw new InvalidInputError('body: a JSON config is required', 'body');
  const input = parseWith(repositoryConfigBodySchema, body, 'body');
  return inField('body', () => configureRepository(deps, repository, input));
};

/** DELETE …/{repository}/config: no answer (204), whether or not there was one. */
export const deleteConfig: ConfigRoute<void> = async (deps, { route }) =>
  unconfigureRepository(deps, checkRepositoryName(route.repository));
