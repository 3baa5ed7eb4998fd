import type { RepositoryList } from '../api-types.ts';
import { formatTextTable } from './text-table.ts';

/** The table of `repos`: one row per configured repository with its platforms and target tags. */
export function formatRepositoryTable(list: RepositoryList): string {
  if (list.repositories.length === 0) {
    return 'No repository is configured yet. Add one with:\n  manifest-assembler config set <repository> --require linux/amd64,linux/arm64';
  }
  const rows = list.repositories.map(({ repository, config }) => [
    repository,
    config.requiredPlatforms.join(','),
    config.optionalPlatforms.length === 0 ? '-' : config.optionalPlatforms.join(','),
    config.targetTags.join(','),
  ]);
  return formatTextTable([['REPOSITORY', 'REQUIRED', 'OPTIONAL', 'TARGET TAGS'], ...rows]);
}
