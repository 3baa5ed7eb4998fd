import type { RepositoryConfigs, UseCaseDependencies } from './ports.ts';
import { normaliseRepositoryConfig, type RepositoryConfig, type RepositoryConfigInput } from './repository-config.ts';
import { compileTagPattern } from './tag-pattern.ts';

/** What configuring repositories needs: the configs, and the log. */
type ConfigureDependencies = UseCaseDependencies<RepositoryConfigs, 'logger'>;

/**
 * Sets a repository's config: checks its meaning, normalises it, checks the pattern's RE2 syntax
 * (which normalising alone does not; re2js loads on demand) and stores it. Throws
 * {@link InvalidInputError}s naming the field; answers with the config as stored.
 */
export async function configureRepository(
  deps: ConfigureDependencies,
  repository: string,
  input: RepositoryConfigInput,
): Promise<RepositoryConfig> {
  const config = normaliseRepositoryConfig(input);
  await compileTagPattern(config.tagPattern);
  await deps.store.putRepositoryConfig(repository, config);
  deps.logger.info('repository configured', { repository, config });
  return config;
}

/** Removes a repository's config: its pushes are ignored afterwards, its version records stay. */
export async function unconfigureRepository(deps: ConfigureDependencies, repository: string): Promise<void> {
  await deps.store.deleteRepositoryConfig(repository);
}

/** Every configured repository with its config. */
export async function listConfiguredRepositories(
  deps: ConfigureDependencies,
): Promise<Array<{ repository: string; config: RepositoryConfig }>> {
  return deps.store.listRepositoryConfigs();
}
