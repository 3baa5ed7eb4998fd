import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** IAM service prefixes of the AWS SDK clients the functions use. */
const clients = { '@aws-sdk/client-ecr': 'ecr', '@aws-sdk/client-dynamodb': 'dynamodb', '@aws-sdk/client-eventbridge': 'events' } as const;

const importBlock = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g;

/**
 * The IAM actions a bundle's own sources call through the AWS SDK: every `XxxCommand` and
 * `paginateXxx` imported (as a value) from a client listed above becomes `service:Xxx`.
 * `sources` are project-relative paths, as in an esbuild metafile's inputs.
 */
export function sdkActionsUsed(root: string, sources: readonly string[]): Set<string> {
  const actions = new Set<string>();
  for (const source of sources) {
    if (source.includes('node_modules') || !source.endsWith('.ts')) continue;
    const text = readFileSync(join(root, source), 'utf8');
    for (const [, typeOnly, names, from] of text.matchAll(importBlock)) {
      const service = clients[from as keyof typeof clients];
      if (typeOnly || !service) continue;
      for (const raw of (names ?? '').split(',')) {
        const name = raw.trim().split(/\s+as\s+/)[0] ?? '';
        if (name.startsWith('type ')) continue;
        const operation = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
        if (operation) actions.add(`${service}:${operation}`);
      }
    }
  }
  return actions;
}
