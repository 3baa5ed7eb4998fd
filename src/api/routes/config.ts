import { configureRepository, unconfigureRepository } from '../../core/configure-repository.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { requireRepositoryConfig } from '../../core/repository-config.ts';
import { checkRepositoryName } from '../../core/repository-name.ts';
import type { RouteFunction } from '../routes.ts';
import { inField, parseWith, repositoryConfigBodySchema } from '../schemas.ts';

type ConfigRoute = RouteFunction<{ readonly name: 'config'; readonly repository: string }>;

/** GET …/{repository}/config: the config as stored; 404 when there is none. */
export const getConfig: ConfigRoute = async (deps, { route }) => requireRepositoryConfig(deps.store, checkRepositoryName(route.repository));

/** PUT …/{repository}/config: answers with the config as stored (normalised); a bad field is a 400 naming `body.<field>`. */
export const putConfig: ConfigRoute = async (deps, { route, body }) => {
  const repository = checkRepositoryName(route.repository);
  if (body === undefined) throw new InvalidInputError('body: a JSON config is required', 'body');
  const input = parseWith(repositoryConfigBodySchema, body, 'body');
  return inField('body', () => configureRepository(deps, repository, input));
};

/** DELETE …/{repository}/config: 204 whether or not there was one. */
export const deleteConfig: ConfigRoute = async (deps, { route }) => unconfigureRepository(deps, checkRepositoryName(route.repository));
