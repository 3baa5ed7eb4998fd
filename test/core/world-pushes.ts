import { recordPush } from '../../src/core/record-push.ts';
import type { RepositoryConfigInput } from '../../src/core/repository-config.ts';
import { config, type World } from './fixtures.ts';

/** The repository these helpers push to. */
export const repo = 'hello';

export async function configure(w: World, input: Partial<RepositoryConfigInput> = {}): Promise<void> {
  await w.store.putRepositoryConfig(repo, config(input));
}

/** A per-arch push whose event never arrived: the tag exists in the registry, nothing is recorded. */
export function pushSilently(w: World, platform: string, tag: string, label?: string): string {
  return w.registry.addImage(repo, { platform, tag, ...(label === undefined ? {} : { label }) }).manifest.digest;
}

/** A per-arch push whose event did arrive. */
export async function push(w: World, platform: string, tag: string, label?: string) {
  const digest = pushSilently(w, platform, tag, label);
  return recordPush(w.deps, { repository: repo, digest, tag });
}
