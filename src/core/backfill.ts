import { describeError, RepositoryNotConfiguredError } from './errors.ts';
import type { Dependencies } from './ports.ts';
import { readPushedImages } from './read-push.ts';
import { missingPlatforms } from './readiness.ts';
import { type ReconcileLimits, type ReconcileReport, reconcileRepository } from './reconcile.ts';
import { requireRepositoryConfig } from './repository-config.ts';
import { type RepublishReport, republishRepository } from './republish-repository.ts';
import { compileTagPattern, matchTag } from './tag-pattern.ts';
import type { RecordedImage } from './version-record.ts';

export interface BackfillPlanEntry {
  readonly version: string;
  readonly platforms: readonly string[];
  readonly missingPlatforms: readonly string[];
  readonly tags: readonly string[];
  /** `conflict`: two of its per-arch tags hold different images of one platform (listed in `problems`); a backfill would not publish it. */
  readonly action: 'publish' | 'wait' | 'conflict';
}

export interface BackfillPlan {
  readonly repository: string;
  readonly tagsScanned: number;
  readonly versions: readonly BackfillPlanEntry[];
  readonly problems: ReadonlyArray<{ readonly tag: string; readonly error: string }>;
}

/**
 * What a backfill would do, without writing anything: every version found in the repository's
 * per-arch tags, the platforms its images have, and whether it would be published now.
 */
export async function planBackfill(
  deps: Dependencies,
  repository: string,
  options: { maxTags?: number } = {},
): Promise<BackfillPlan | undefined> {
  const config = await deps.store.getRepositoryConfig(repository);
  if (config === undefined) return undefined;
  const pattern = await compileTagPattern(config.tagPattern);
  const tags = (await deps.registry.listTags(repository)).sort().slice(0, options.maxTags ?? 5_000);
  const byVersion = new Map<string, { images: Record<string, RecordedImage>; tags: string[]; conflict: boolean }>();
  const problems: Array<{ tag: string; error: string }> = [];
  for (const tag of tags) {
    const match = matchTag(pattern, tag);
    if (match === undefined) continue;
    try {
      const digest = await deps.registry.resolveTag(repository, tag);
      if (digest === undefined || (await deps.store.isPublishedTag({ repository, tag, digest }))) continue;
      // Own keys only, as recordPush does: a tag ending in -constructor must not find Object.prototype's members.
      const hint = match.platformHint;
      const override = hint !== undefined && Object.hasOwn(config.platformOverrides, hint) ? config.platformOverrides[hint] : undefined;
      const read = await readPushedImages(deps.registry, { repository, digest, tag, override, pushedAt: '' });
      const entry = byVersion.get(match.version) ?? { images: {}, tags: [], conflict: false };
      entry.tags.push(tag);
      for (const image of read.images) {
        const existing = entry.images[image.key];
        if (existing === undefined) entry.images[image.key] = image;
        else if (existing.digest !== image.digest) {
          // What recordPush would find: a conflict, so the plan must not promise a publish.
          entry.conflict = true;
          problems.push({
            tag,
            error: `${existing.tag} (${existing.digest}) and ${tag} (${image.digest}) both claim platform ${image.key} of version ${match.version}`,
          });
        }
      }
      byVersion.set(match.version, entry);
    } catch (error) {
      problems.push({ tag, error: describeError(error) });
    }
  }
  const versions = [...byVersion.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([version, entry]): BackfillPlanEntry => {
      const missing = missingPlatforms(config, entry);
      const action = entry.conflict ? 'conflict' : missing.length === 0 ? 'publish' : 'wait';
      return { version, platforms: Object.keys(entry.images).sort(), missingPlatforms: missing, tags: entry.tags, action };
    });
  return { repository, tagsScanned: tags.length, versions, problems };
}

/**
 * Assembles every version already in the registry from its per-arch tags: the reconciler's work,
 * run page after page until the repository is covered (or `maxRuns` pages, then resumable).
 */
export async function backfillRepository(
  deps: Dependencies,
  repository: string,
  options: { cursor?: string | null; limits?: ReconcileLimits; maxRuns?: number } = {},
): Promise<ReconcileReport[]> {
  const reports: ReconcileReport[] = [];
  let cursor = options.cursor ?? null;
  for (let run = 0; run < (options.maxRuns ?? 20); run++) {
    const report = await reconcileRepository(deps, repository, { cursor, ...(options.limits ? { limits: options.limits } : {}) });
    reports.push(report);
    cursor = report.cursor;
    if (cursor === null) break;
  }
  return reports;
}

/** What a backfill is asked to do: by default publish what the registry holds; `dryRun` plans; `republish` re-applies the config. */
export interface BackfillRequest {
  readonly dryRun?: boolean | undefined;
  /** Re-apply the current config to every version already recorded, instead of reading the registry's tags. */
  readonly republish?: boolean | undefined;
  /** Where the previous call stopped. */
  readonly cursor?: string | null | undefined;
  /** Epoch ms after which a republish starts no further page. */
  readonly deadline: number;
  /** Reconcile runs one call makes at most (each run is bounded, so this bounds the call). */
  readonly maxRuns: number;
}

/** The reconcile runs a backfill made, and where to go on (null: the repository is covered). */
export interface BackfillRun {
  readonly reports: ReconcileReport[];
  readonly cursor: string | null;
}

/**
 * One backfill call on a configured repository (a {@link RepositoryNotConfiguredError} otherwise):
 * reconcile runs until covered or `maxRuns` ({@link BackfillRun}); with `dryRun`, the plan with
 * nothing written ({@link BackfillPlan}); with `republish`, the current config re-applied to a page
 * of recorded versions, or with `dryRun` planned ({@link RepublishReport}).
 */
export async function backfill(
  deps: Dependencies,
  repository: string,
  request: BackfillRequest,
): Promise<BackfillRun | BackfillPlan | RepublishReport> {
  const dryRun = request.dryRun === true;
  const cursor = request.cursor ?? null;
  if (request.republish === true) {
    const config = await requireRepositoryConfig(deps.store, repository);
    return republishRepository(deps, repository, config, { dryRun, cursor, deadline: request.deadline });
  }
  if (dryRun) {
    const plan = await planBackfill(deps, repository);
    if (plan === undefined) throw new RepositoryNotConfiguredError(repository);
    return plan;
  }
  await requireRepositoryConfig(deps.store, repository);
  const reports = await backfillRepository(deps, repository, { cursor, maxRuns: request.maxRuns });
  return { reports, cursor: reports.at(-1)?.cursor ?? null };
}
