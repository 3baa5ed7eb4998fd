import type { RepositoryConfigBody, VersionStatus } from '../api-types.ts';
import { formatTextTable } from './text-table.ts';

/** How many hex digits of a digest a table shows: enough to tell images apart, as `docker images` does. */
export const SHORT_DIGEST_LENGTH = 12;

const MISSING = '-';
const FLAG = '!';

/** `sha256:3f2a…` → its first 12 hex digits. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return digest.slice(colon + 1, colon + 1 + SHORT_DIGEST_LENGTH);
}

/**
 * The platform columns of a status table: the config's required then optional platforms, then any
 * other platform a version requires or holds (the config may have changed since it was recorded).
 */
export function platformColumns(
  config: Pick<RepositoryConfigBody, 'requiredPlatforms' | 'optionalPlatforms'> | undefined,
  versions: readonly VersionStatus[],
): string[] {
  const columns = new Set<string>([...(config?.requiredPlatforms ?? []), ...(config?.optionalPlatforms ?? [])]);
  for (const version of versions) {
    for (const platform of version.requiredPlatforms) columns.add(platform);
    for (const image of version.images) columns.add(image.platform);
  }
  return [...columns];
}

/** The states a person should look at: flagged with `!` and explained under the table. */
const ATTENTION_STATES: ReadonlySet<string> = new Set<VersionStatus['state']>(['stale', 'failed', 'conflict']);

/** Whether a version needs a look: stale (waiting too long), failed, in conflict, or with a refused push. */
export function needsAttention(version: VersionStatus): boolean {
  return ATTENTION_STATES.has(version.state) || version.rejected.length > 0;
}

/**
 * The versions × platforms table of `status <repository>`: one row per version, a short digest per
 * platform (or `-`), the state (flagged with `!` when it needs a look) and the published index
 * (`partial` when published without every required platform); then one line per flagged version saying why.
 */
export function formatStatusTable(versions: readonly VersionStatus[], platforms: readonly string[]): string {
  // Only a repository with floating tags gets a TAGS column: elsewhere it would repeat the version.
  const withTags = versions.some(holdsFloatingTags);
  const header = ['VERSION', ...platforms, 'STATE', 'PUBLISHED', ...(withTags ? ['TAGS'] : [])];
  const rows = versions.map((version) => [
    version.version,
    ...platforms.map((platform) => {
      const image = version.images.find((candidate) => candidate.platform === platform);
      return image === undefined ? MISSING : shortDigest(image.digest);
    }),
    needsAttention(version) ? `${version.state} ${FLAG}` : version.state,
    version.published === null ? MISSING : `${shortDigest(version.published.digest)}${version.published.partial ? ' partial' : ''}`,
    ...(withTags ? [listOrMissing(version.tags ?? []).replaceAll(', ', ',')] : []),
  ]);
  const notes = versions.filter(needsAttention).flatMap(describeAttention);
  const table = formatTextTable([header, ...rows]);
  return notes.length === 0 ? table : `${table}\n\n${notes.join('\n')}`;
}

/** The readable block of `status <repository>:<version>`. */
export function formatVersionDetail(version: VersionStatus): string {
  const imageLines = version.images.map((image) =>
    [image.platform, image.digest, `tag ${image.tag}`, `${image.size} bytes`, image.mediaType, `pushed ${image.pushedAt}`].join('  '),
  );
  const published = version.published;
  const fields: [string, string[]][] = [
    ['state', [needsAttention(version) ? `${version.state} ${FLAG}` : version.state]],
    ['required', [listOrMissing(version.requiredPlatforms)]],
    ['missing', [listOrMissing(version.missingPlatforms)]],
    ['images', imageLines.length === 0 ? [MISSING] : imageLines],
    [
      'published',
      [
        published === null
          ? MISSING
          : [
              published.digest,
              published.mediaType,
              published.partial ? 'partial' : undefined,
              published.tags.length === 0 ? undefined : `tags ${published.tags.join(', ')}`,
              `at ${published.at}`,
            ]
              .filter((part) => part !== undefined)
              .join('  '),
      ],
    ],
    ...(holdsFloatingTags(version) ? ([['tags', [listOrMissing(version.tags ?? [])]]] as [string, string[]][]) : []),
    ...((version.notes ?? []).length > 0 ? ([['notes', version.notes ?? []]] as [string, string[]][]) : []),
    ...(published?.heldBy?.length ? [['held by', published.heldBy.map((held) => held.note)] as [string, string[]]] : []),
    ['error', [version.error ?? MISSING]],
    ...(version.rejected.length === 0
      ? []
      : [['refused', version.rejected.map((r) => [r.tag, r.digest, `at ${r.at}`, r.reason].join('  '))] as [string, string[]]]),
    ['updated', [version.updatedAt ?? MISSING]],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  const lines = fields.flatMap(([name, values]) => values.map((value, i) => `${(i === 0 ? name : '').padEnd(width)}  ${value}`.trimEnd()));
  const notes = needsAttention(version) ? ['', ...describeAttention(version)] : [];
  return [`${version.repository}:${version.version}`, ...lines, ...notes].join('\n');
}

/** Whether floating tags concern a version: it holds one beyond its published exact tags, or a note says why not. */
function holdsFloatingTags(version: VersionStatus): boolean {
  const exact = new Set(version.published?.tags ?? []);
  return (version.notes ?? []).length > 0 || (version.tags ?? []).some((tag) => !exact.has(tag));
}

/** The lines under a table or block: why the state needs a look, then each refused push its error does not already name. */
function describeAttention(version: VersionStatus): string[] {
  const lines: string[] = [];
  if (version.state === 'stale') {
    const missing = version.missingPlatforms.length === 0 ? 'platforms' : version.missingPlatforms.join(', ');
    lines.push(`${FLAG} ${version.version} stale: still waiting for ${missing}`);
  } else if (ATTENTION_STATES.has(version.state)) {
    lines.push(`${FLAG} ${version.version} ${version.state}: ${version.error ?? 'the API gave no error text'}`);
  }
  for (const refusal of version.rejected) {
    if (lines.some((line) => line.includes(`${refusal.tag} (${refusal.digest})`))) continue;
    lines.push(`${FLAG} ${version.version} refused ${refusal.tag} (${shortDigest(refusal.digest)}): ${refusal.reason}`);
  }
  return lines;
}

function listOrMissing(items: readonly string[]): string {
  return items.length === 0 ? MISSING : items.join(', ');
}
