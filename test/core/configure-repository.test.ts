import { describe, expect, it } from 'vitest';
import { configureRepository, listConfiguredRepositories, unconfigureRepository } from '../../src/core/configure-repository.ts';
import { InvalidInputError } from '../../src/core/errors.ts';
import type { RepositoryConfigs } from '../../src/core/ports.ts';
import type { RepositoryConfig } from '../../src/core/repository-config.ts';
import { CapturingLogger } from '../support/fakes.ts';

/**
 * A store of the configs alone: configuring repositories takes the `RepositoryConfigs` role and
 * nothing else of the store (this file would not compile if the use case asked for more).
 */
class ConfigsOnly implements RepositoryConfigs {
  readonly configs = new Map<string, RepositoryConfig>();
  async getRepositoryConfig(repository: string): Promise<RepositoryConfig | undefined> {
    return this.configs.get(repository);
  }
  async putRepositoryConfig(repository: string, config: RepositoryConfig): Promise<void> {
    this.configs.set(repository, config);
  }
  async deleteRepositoryConfig(repository: string): Promise<boolean> {
    return this.configs.delete(repository);
  }
  async listRepositoryConfigs(): Promise<Array<{ repository: string; config: RepositoryConfig }>> {
    return [...this.configs].map(([repository, config]) => ({ repository, config }));
  }
}

function setUp() {
  const store = new ConfigsOnly();
  const logger = new CapturingLogger();
  return { store, logger, deps: { store, logger } };
}

describe('configureRepository, with a store of the configs alone', () => {
  it('stores the config normalised, answers with it and logs it', async () => {
    const { store, logger, deps } = setUp();
    const config = await configureRepository(deps, 'team/hello', { requiredPlatforms: ['linux/aarch64', 'linux/x86_64'] });
    expect(config.requiredPlatforms).toEqual(['linux/arm64', 'linux/amd64']);
    expect(store.configs.get('team/hello')).toEqual(config);
    expect(logger.messages('info')).toEqual(['repository configured']);
    expect(await listConfiguredRepositories(deps)).toEqual([{ repository: 'team/hello', config }]);
  });

  it('refuses a pattern RE2 cannot compile, naming the field, and stores nothing', async () => {
    const { store, deps } = setUp();
    const refused = configureRepository(deps, 'team/hello', {
      requiredPlatforms: ['linux/amd64'],
      tagPattern: '^(?<version>.+)(?=-amd64)$',
    });
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toMatchObject({ details: { field: 'tagPattern' } });
    expect(store.configs.size).toBe(0);
  });

  it('keeps the config it had when the new one is refused', async () => {
    const { store, deps } = setUp();
    const kept = await configureRepository(deps, 'team/hello', { requiredPlatforms: ['linux/amd64'] });
    await expect(configureRepository(deps, 'team/hello', { requiredPlatforms: [] })).rejects.toMatchObject({
      details: { field: 'requiredPlatforms' },
    });
    expect(store.configs.get('team/hello')).toEqual(kept);
  });

  it('unconfigures a repository, and lists only those left', async () => {
    const { deps } = setUp();
    await configureRepository(deps, 'team/hello', { requiredPlatforms: ['linux/amd64'] });
    const other = await configureRepository(deps, 'team/other', { requiredPlatforms: ['linux/arm64'] });
    await unconfigureRepository(deps, 'team/hello');
    expect(await listConfiguredRepositories(deps)).toEqual([{ repository: 'team/other', config: other }]);
  });
});
