import { describeError } from './errors.ts';
import { buildVersionIndex } from './index-builder.ts';
import { parseManifest } from './manifest.ts';
import { formatPlatform, isUnknownPlatform } from './platform.ts';
import type { Dependencies } from './ports.ts';
import { isPublishedAs } from './publish-version.ts';
import { activeError, missingPlatforms, selectIndexImages } from './readiness.ts';
import { movedPerArchTags, reapplyConfig } from './reapply-config.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { exactTargetTags } from './target-tags.ts';
import type { VersionRecord } from './version-record.ts';

/** What re-applying the config does (or would do) to one version. */
export interface ReapplyChange {
  readonly version: string;
  /** The published index before (null: never published). */
  readonly from: string | null;
  /** The index after; null in a dry run when moved per-arch tags must be read first. */
  readonly to: string | null;
  readonly platformsAdded: readonly string[];
  readonly platformsRemoved: readonly string[];
  readonly movedTags: readonly string[];
}

export interface RepublishReport {
  readonly repository: string;
  readonly dryRun: boolean;
  readonly versionsChecked: number;
  /** Versions republished (dry run: that would be). */
  readonly changed: readonly ReapplyChange[];
  readonly unchanged: number;
  /** Versions missing required platforms (never published, or published whole before a platform was required). */
  readonly waiting: ReadonlyArray<{ readonly version: string; readonly missingPlatforms: readonly string[] }>;
  readonly conflicts: ReadonlyArray<{ readonly version: string; readonly message: string }>;
  readonly failures: ReadonlyArray<{ readonly what: string; readonly error: string }>;
  /** Where the next request goes on; null when the repository is done. */
  readonly cursor: string | null;
}

export interface RepublishOptions {
  readonly dryRun?: boolean;
  readonly cursor?: string | null;
  /** Epoch ms after which no further page is started (an HTTP request must answer in time). */
  readonly deadline?: number;
  readonly pageSize?: number;
  /** Versions one call looks at, at most (whole pages). */
  readonly maxVersions?: number;
}

/**
 * Re-applies the config to every version of a repository, page by page, resumable from the
 * returned cursor. A version published partially is republished partially (with the current
 * config); a version never published is published if complete, as the reconciler would.
 */
export async function republishRepository(
  deps: Dependencies,
  repository: string,
  config: RepositoryConfig,
  options: RepublishOptions = {},
): Promise<RepublishReport> {
  const report = {
    repository,
    dryRun: options.dryRun === true,
    versionsChecked: 0,
    changed: [] as ReapplyChange[],
    unchanged: 0,
    waiting: [] as Array<{ version: string; missingPlatforms: string[] }>,
    conflicts: [] as Array<{ version: string; message: string }>,
    failures: [] as Array<{ what: string; error: string }>,
    cursor: null as string | null,
  };
  let cursor = options.cursor ?? undefined;
  do {
    // Small pages: the deadline is checked between pages, and a page cannot be left half done.
    const page = await deps.store.listVersions(repository, { limit: options.pageSize ?? 10, cursor });
    for (const record of page.versions) {
      report.versionsChecked++;
      try {
        const entry = options.dryRun === true ? await planReapply(deps, config, record) : await republishOne(deps, record);
        if (entry.kind === 'changed') report.changed.push(entry.change);
        else if (entry.kind === 'unchanged') report.unchanged++;
        else if (entry.kind === 'waiting') report.waiting.push({ version: record.version, missingPlatforms: entry.missing });
        else report.conflicts.push({ version: record.version, message: entry.message });
      } catch (error) {
        report.failures.push({ what: `${repository}:${record.version}`, error: describeError(error) });
      }
    }
    cursor = page.cursor ?? undefined;
  } while (
    cursor !== undefined &&
    report.versionsChecked < (options.maxVersions ?? 100) &&
    (options.deadline === undefined || deps.clock.now() < options.deadline)
  );
  report.cursor = cursor ?? null;
  return report;
}

type Entry =
  | { kind: 'changed'; change: ReapplyChange }
  | { kind: 'unchanged' }
  | { kind: 'waiting'; missing: string[] }
  | { kind: 'conflict'; message: string };

async function republishOne(deps: Dependencies, record: VersionRecord): Promise<Entry> {
  const { repository, version } = record;
  const allowPartial = (record.published?.missingPlatforms?.length ?? 0) > 0;
  // A version another worker is publishing is listed as a failure (run again) rather than waited for.
  const { outcome, rerecorded } = await reapplyConfig(deps, repository, version, { allowPartial, waitForLeaseMs: REPUBLISH_LEASE_WAIT_MS });
  if (
    outcome.kind === 'up-to-date' &&
    rerecorded.length > 0 &&
    outcome.digest !== undefined &&
    outcome.digest !== record.published?.digest
  ) {
    // Recording the moved per-arch tags published the version already.
    return { kind: 'changed', change: await describePublished(deps, record, outcome.digest, rerecorded) };
  }
  switch (outcome.kind) {
    case 'published':
      return { kind: 'changed', change: await describePublished(deps, record, outcome.digest, rerecorded) };
    case 'up-to-date':
    case 'handed-over':
      return { kind: 'unchanged' };
    case 'waiting':
      return { kind: 'waiting', missing: [...outcome.missing] };
    case 'conflict':
      return { kind: 'conflict', message: outcome.message };
    case 'failed':
      throw new Error(outcome.message);
    case 'not-found':
      throw new Error(`${repository}:${version} disappeared while republishing`);
  }
}

const REPUBLISH_LEASE_WAIT_MS = 5_000;

/** The change from the index a record had published to `digest`, from both indexes as the registry holds them. */
async function describePublished(
  deps: Dependencies,
  record: VersionRecord,
  digest: string,
  movedTags: readonly string[],
): Promise<ReapplyChange> {
  const from = record.published?.digest ?? null;
  const before = from === null ? [] : await indexPlatforms(deps, record.repository, from);
  const after = await indexPlatforms(deps, record.repository, digest);
  return describeChange(record.version, from, digest, before, after, movedTags);
}

/** What {@link republishOne} would do, from reads only. */
async function planReapply(deps: Dependencies, config: RepositoryConfig, record: VersionRecord): Promise<Entry> {
  const { repository, version } = record;
  const error = activeError(record);
  if (error?.kind === 'conflict') return { kind: 'conflict', message: error.message };
  const moved = (await movedPerArchTags(deps, record)).map((m) => m.tag);
  const from = record.published?.digest ?? null;
  const before = from === null ? [] : await indexPlatforms(deps, repository, from);
  if (moved.length > 0) {
    return { kind: 'changed', change: { version, from, to: null, platformsAdded: [], platformsRemoved: [], movedTags: moved } };
  }
  const missing = missingPlatforms(config, record);
  const partial = (record.published?.missingPlatforms?.length ?? 0) > 0;
  const images = selectIndexImages(config, record);
  if ((missing.length > 0 && !partial) || images.length === 0) return { kind: 'waiting', missing };
  const { manifest } = buildVersionIndex(images, config);
  const tags = exactTargetTags(config, version);
  if (isPublishedAs(record, manifest.digest, tags, missing)) return { kind: 'unchanged' };
  return {
    kind: 'changed',
    change: describeChange(
      version,
      from,
      manifest.digest,
      before,
      images.map((i) => i.key),
      [],
    ),
  };
}

function describeChange(
  version: string,
  from: string | null,
  to: string,
  before: readonly string[],
  after: readonly string[],
  movedTags: readonly string[],
): ReapplyChange {
  return {
    version,
    from,
    to,
    platformsAdded: after.filter((p) => !before.includes(p)).sort(),
    platformsRemoved: before.filter((p) => !after.includes(p)).sort(),
    movedTags,
  };
}

/** The platforms of a published index as the registry holds it (attestations left out); empty when it cannot be read. */
async function indexPlatforms(deps: Dependencies, repository: string, digest: string): Promise<string[]> {
  try {
    const parsed = parseManifest(await deps.registry.fetchManifest(repository, digest));
    if (parsed.kind !== 'index') return [];
    return parsed.manifests.flatMap((child) =>
      child.platform === undefined || isUnknownPlatform(child.platform) ? [] : [formatPlatform(child.platform)],
    );
  } catch (error) {
    deps.logger.warn('could not read a published index to list its platforms', { repository, digest, error: describeError(error) });
    return [];
  }
}
