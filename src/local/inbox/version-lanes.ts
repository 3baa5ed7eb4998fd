import type { VersionStore } from '../../core/ports.ts';
import type { RepositoryConfig } from '../../core/repository-config.ts';
import { compileTagPattern, matchTag } from '../../core/tag-pattern.ts';
import type { EcrImageActionEvent } from '../registry/registry-events.ts';

export interface VersionLanesOptions {
  /** How long a repository's config is reused for finding lanes. */
  readonly ttlMs?: number;
  /** Repositories whose config is kept, at most. */
  readonly capacity?: number;
  readonly now?: () => number;
}

/**
 * The inbox's lane of a push: `<repository>:<version>`, the version read from the tag with the
 * repository's `tagPattern`, so that the pushes of one version are handled one after the other.
 * A tag that is no per-arch tag (no config, no match) gets a lane of its own; the handler ignores it.
 *
 * Configs are cached for `ttlMs` (5 s): a stale pattern can only put a push in another lane (it is
 * then handled beside, not after, its version's other pushes), never change what the handler does
 * with it, since the handler reads the config itself.
 */
export function createVersionLanes(
  store: Pick<VersionStore, 'getRepositoryConfig'>,
  options: VersionLanesOptions = {},
): (event: EcrImageActionEvent) => Promise<string> {
  const { ttlMs = 5_000, capacity = 256, now = Date.now } = options;
  const configs = new Map<string, { readonly config: Promise<RepositoryConfig | undefined>; readonly at: number }>();
  const configOf = (repository: string): Promise<RepositoryConfig | undefined> => {
    const known = configs.get(repository);
    if (known !== undefined && now() - known.at < ttlMs) return known.config;
    configs.delete(repository);
    if (configs.size >= capacity) configs.delete(configs.keys().next().value as string);
    const config = store.getRepositoryConfig(repository);
    configs.set(repository, { config, at: now() });
    // A failed read is not kept: the next push asks again.
    config.catch(() => configs.delete(repository));
    return config;
  };
  return async (event) => {
    const { 'repository-name': repository, 'image-tag': tag } = event.detail;
    const config = await configOf(repository);
    const match = config === undefined ? undefined : matchTag(await compileTagPattern(config.tagPattern), tag);
    return match === undefined ? `${repository}:${tag}` : `${repository}:${match.version}`;
  };
}
