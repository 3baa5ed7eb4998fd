import { announceMissedPublish, announceOutcome, resendPendingAnnouncement } from './announce-outcome.ts';
import { describeError, InvalidInputError, RepositoryNotConfiguredError } from './errors.ts';
import { type HistoryNote, recordHistory } from './history.ts';
import { Counters } from './metrics.ts';
import type { Dependencies } from './ports.ts';
import type { publishVersion as PublishVersion } from './publish-version.ts';
import { isStale, missingPlatforms, selectIndexImages } from './readiness.ts';
import { advanceLaggingFloatingTags, type FloatingFindings, repairFloatingTags } from './reconcile-floating.ts';
import type { recordPush as RecordPush } from './record-push.ts';
import type { RepositoryConfig } from './repository-config.ts';
import type { classifyTagHolder as ClassifyTagHolder } from './tag-holder.ts';
import { compileTagPattern, matchTag } from './tag-pattern.ts';
import { floatingTemplates } from './target-tags.ts';
import { HistoryKinds } from './version-history.ts';
import type { VersionRecord } from './version-record.ts';

// Repairs are loaded at the first repair of a process, not at every cold start of the reconcile
// function: most passes record no push, publish nothing and find no moved tag, and this code
// (the push, publish and tag-holder paths, 23 KB minified) is a third of what the function would
// otherwise load before its first line runs (docs/performance.md). One module, so the bundler
// makes one lazy chunk and few shared ones (each file a cold start loads has its own cost).
const repairs = () => import('./reconcile-repairs.ts');
const recordPush: typeof RecordPush = async (...args) => (await repairs()).recordPush(...args);
const publishVersion: typeof PublishVersion = async (...args) => (await repairs()).publishVersion(...args);
const classifyTagHolder: typeof ClassifyTagHolder = async (...args) => (await repairs()).classifyTagHolder(...args);

/** Work one run may do, so a run fits a Lambda invocation or an HTTP request whatever the repository's size. */
export interface ReconcileLimits {
  readonly maxTags: number;
  readonly maxVersions: number;
}

export const DEFAULT_RECONCILE_LIMITS: ReconcileLimits = { maxTags: 500, maxVersions: 100 };

export interface DriftFinding {
  readonly version: string;
  readonly tag: string;
  readonly expected: string;
  readonly actual: string | null;
  readonly action: 'reported' | 'restored';
}

export interface ReconcileReport {
  readonly repository: string;
  readonly tagsScanned: number;
  /** Per-arch tags whose push had never been recorded (a lost event), now recorded. */
  readonly pushesRecovered: readonly string[];
  readonly versionsChecked: number;
  /** Versions this run published: a publisher had died, the config changed, or a failure was retried. */
  readonly published: readonly string[];
  /** Stale versions published partially because the repository says `onStale: publish-partial`. */
  readonly publishedPartially: readonly string[];
  readonly stale: readonly string[];
  readonly drift: readonly DriftFinding[];
  /** Floating tags (`latest`, `2.7`) put back on the version their pointer names, or moved forward to a published release they lagged behind. */
  readonly floatingRepaired: readonly string[];
  /** Per-arch tags found in conflict (two images claiming one platform), each with the reason. */
  readonly conflicts: ReadonlyArray<{ readonly tag: string; readonly message: string }>;
  readonly failures: ReadonlyArray<{ readonly what: string; readonly error: string }>;
  /** Where the next run goes on; null when this run reached the end of the repository. */
  readonly cursor: string | null;
}

type Cursor = { phase: 'tags'; after: string } | { phase: 'versions'; cursor: string | null };

/**
 * Repairs what events missed (issue 4): records per-arch tags whose push event never arrived,
 * finishes versions whose publisher died or whose config changed, publishes stale versions
 * partially when the repository says so, and finds version tags moved by someone else. Safe beside
 * the event handlers: every write goes through the same conditional paths as theirs. Bounded by
 * `limits` per run and resumable from the returned cursor.
 */
export async function reconcileRepository(
  deps: Dependencies,
  repository: string,
  options: {
    cursor?: string | null | undefined;
    limits?: ReconcileLimits;
    /** Asked for by name (the API), a repository without config is a typo to report: throw {@link RepositoryNotConfiguredError}. */
    requireConfig?: boolean;
  } = {},
): Promise<ReconcileReport> {
  const limits = options.limits ?? DEFAULT_RECONCILE_LIMITS;
  const report = emptyReport(repository);
  const config = await deps.store.getRepositoryConfig(repository);
  if (config === undefined) {
    // The scheduled pass goes over a repository without config silently.
    if (options.requireConfig === true) throw new RepositoryNotConfiguredError(repository);
    return { ...report, cursor: null };
  }
  const cursor = decodeCursor(options.cursor);

  if (cursor.phase === 'tags') {
    const next = await recoverMissedPushes(deps, repository, config, cursor.after, limits.maxTags, report);
    if (next !== null) return { ...report, cursor: encodeCursor({ phase: 'tags', after: next }) };
  }
  const page = await deps.store.listVersions(repository, {
    limit: limits.maxVersions,
    cursor: cursor.phase === 'versions' ? (cursor.cursor ?? undefined) : undefined,
  });
  for (const record of page.versions) {
    try {
      await checkVersion(deps, config, record, report);
      await recordHistory(deps, repository, record.version, { notes: repairNotes(report, record.version, deps.clock.now()) });
    } catch (error) {
      report.failures.push({ what: `${repository}:${record.version}`, error: describeError(error) });
    }
  }
  report.versionsChecked = page.versions.length;
  if (floatingTemplates(config).length > 0)
    await reconcileFloatingTags(deps, repository, config, page.versions, page.cursor === null, report);
  return { ...report, cursor: page.cursor === null ? null : encodeCursor({ phase: 'versions', cursor: page.cursor }) };
}

/** Returns the last tag looked at when more remain, null when the tags are done. */
async function recoverMissedPushes(
  deps: Dependencies,
  repository: string,
  config: RepositoryConfig,
  after: string,
  maxTags: number,
  report: MutableReport,
): Promise<string | null> {
  const pattern = await compileTagPattern(config.tagPattern);
  const tags = (await deps.registry.listTags(repository)).filter((t) => t > after).sort();
  const batch = tags.slice(0, maxTags);
  const records = new Map<string, VersionRecord | undefined>();
  for (const tag of batch) {
    report.tagsScanned++;
    const match = matchTag(pattern, tag);
    if (match === undefined) continue;
    try {
      const digest = await deps.registry.resolveTag(repository, tag);
      if (digest === undefined || (await deps.store.isPublishedTag({ repository, tag, digest }))) continue;
      if (!records.has(match.version)) records.set(match.version, await deps.store.getVersion({ repository, version: match.version }));
      if (isRecordedFrom(records.get(match.version), tag, digest)) continue;
      const outcome = await recordPush(deps, { repository, digest, tag, eventId: 'reconcile' });
      if (outcome.kind === 'conflict') report.conflicts.push({ tag, message: outcome.message });
      if (outcome.kind === 'recorded' && outcome.changed) {
        report.pushesRecovered.push(tag);
        await recordHistory(deps, repository, match.version, {
          notes: [
            {
              id: `repaired:push:${tag}:${digest}`,
              kind: HistoryKinds.repaired,
              at: new Date(deps.clock.now()).toISOString(),
              tag,
              digest,
              action: 'recorded a push no event had delivered',
            },
          ],
        });
        records.delete(match.version);
      }
    } catch (error) {
      report.failures.push({ what: `${repository}:${tag}`, error: describeError(error) });
    }
  }
  return batch.length < tags.length ? (batch[batch.length - 1] ?? null) : null;
}

function isRecordedFrom(record: VersionRecord | undefined, tag: string, digest: string): boolean {
  return Object.values(record?.images ?? {}).some((image) => image.tag === tag && image.sourceDigest === digest);
}

async function checkVersion(deps: Dependencies, config: RepositoryConfig, record: VersionRecord, report: MutableReport): Promise<void> {
  const { repository, version, revision } = record;
  const now = deps.clock.now();
  await resendPendingAnnouncement(deps, record);
  if (record.lease !== undefined && record.lease.until > now) return; // a publisher is at work
  await announceMissedPublish(deps, record, config);
  const error = record.error;
  if (error?.kind === 'conflict' && error.contested === undefined && error.revision === revision) return; // needs a person
  if (error?.kind === 'conflict' && error.contested !== undefined) {
    // Settled once the refused tag has moved on or gone; a publish (put skipped if the tag already
    // holds the index) then clears it. Until then it needs a person.
    const still = (await deps.registry.resolveTag(repository, error.contested.tag)) === error.contested.digest;
    if (still || missingPlatforms(config, record).length > 0) return;
    const outcome = await publishVersion(deps, repository, version, { revision, force: record.published?.revision === revision });
    if (outcome.kind === 'published') report.published.push(version);
    return;
  }
  const missing = missingPlatforms(config, record);
  const publishedThis = record.published?.revision === revision;

  if (missing.length === 0 && !publishedThis) {
    const outcome = await publishVersion(deps, repository, version, { revision });
    if (outcome.kind === 'published') report.published.push(version);
    return;
  }
  if (missing.length > 0 && isStale(config, record, now)) {
    report.stale.push(version);
    await announceOutcome(deps, 'stale', record, config);
    deps.metrics?.count(Counters.versionsStale);
    if (config.onStale === 'publish-partial' && !publishedThis) {
      const outcome = await publishVersion(deps, repository, version, { revision, allowPartial: true });
      if (outcome.kind === 'published') report.publishedPartially.push(version);
      return;
    }
  }
  if (record.published !== undefined) await checkDrift(deps, config, record, report);
}

async function checkDrift(deps: Dependencies, config: RepositoryConfig, record: VersionRecord, report: MutableReport): Promise<void> {
  const published = record.published;
  if (published === undefined) return;
  for (const tag of published.tags) {
    const actual = (await deps.registry.resolveTag(record.repository, tag)) ?? null;
    if (actual === published.digest) continue;
    if (actual !== null && (await isBuiltOnOurs(deps, config, record, tag, actual))) continue;
    if (config.onDrift === 'restore' && published.revision === record.revision) {
      const outcome = await publishVersion(deps, record.repository, record.version, {
        revision: record.revision,
        force: true,
        allowPartial: (published.missingPlatforms?.length ?? 0) > 0,
      });
      if (outcome.kind === 'published') {
        report.drift.push({ version: record.version, tag, expected: published.digest, actual, action: 'restored' });
        await recordHistory(deps, record.repository, record.version, {
          notes: [
            {
              id: `drift-restored:${tag}:${actual}:${deps.clock.now()}`,
              kind: HistoryKinds.driftRestored,
              at: new Date(deps.clock.now()).toISOString(),
              tag,
              digest: published.digest,
              actual,
            },
          ],
        });
      } else {
        // Not put back this pass (another publisher holds the lease, a conflict…): the next pass tries again.
        report.failures.push({ what: `${record.repository}:${tag}`, error: `moved tag not restored: publish said ${outcome.kind}` });
      }
      return;
    }
    const nowMs = deps.clock.now();
    const now = new Date(nowMs).toISOString();
    const message =
      `tag ${tag} was moved by someone else: it points to ${actual ?? 'nothing'}, not to the index ${published.digest} ` +
      `manifest-assembler published; re-push a per-arch tag to republish, or set onDrift: restore`;
    await announceOutcome(
      deps,
      'conflict',
      await deps.store.recordError(record, { error: { kind: 'conflict', message, revision: record.revision, at: now }, now: nowMs }),
      config,
    );
    deps.metrics?.count(Counters.versionsInConflict);
    deps.logger.warn('drift: a published tag was moved', {
      repository: record.repository,
      version: record.version,
      tag,
      expected: published.digest,
      actual,
    });
    report.drift.push({ version: record.version, tag, expected: published.digest, actual, action: 'reported' });
    await recordHistory(deps, record.repository, record.version, {
      notes: [
        {
          id: `drift:${tag}:${published.digest}:${actual}:${now}`,
          kind: HistoryKinds.driftFound,
          at: now,
          tag,
          digest: published.digest,
          actual,
        },
      ],
    });
    return;
  }
}

/**
 * Floating tags: moved forward to this page's published releases they lag behind, and, once the
 * pass reaches the end of the versions, put back where their pointers say. One read of the pointers.
 */
async function reconcileFloatingTags(
  deps: Dependencies,
  repository: string,
  config: RepositoryConfig,
  records: readonly VersionRecord[],
  lastPage: boolean,
  report: MutableReport,
): Promise<void> {
  const findings: FloatingFindings = { repaired: report.floatingRepaired, drift: report.drift, failures: report.failures };
  try {
    const pointers = new Map((await deps.store.listFloatingTags(repository)).map((p) => [p.tag, p]));
    await advanceLaggingFloatingTags(deps, repository, config, records, pointers, findings);
    if (lastPage) await repairFloatingTags(deps, repository, config, pointers.values(), findings);
  } catch (error) {
    report.failures.push({ what: `${repository} floating tags`, error: describeError(error) });
  }
}

/**
 * A tag rewritten by a tool that builds on our index (a SOCI-enabled index, a signature whose
 * subject is ours) is not drift: it is neither reported nor restored over. The first time it is
 * seen, a publish of the same revision records what holds the tag (the put is skipped) so status
 * can show it.
 */
async function isBuiltOnOurs(
  deps: Dependencies,
  config: RepositoryConfig,
  record: VersionRecord,
  tag: string,
  actual: string,
): Promise<boolean> {
  const published = record.published;
  if (published === undefined) return false;
  const holding = await classifyTagHolder(
    deps.registry,
    record.repository,
    tag,
    { digest: published.digest, images: selectIndexImages(config, record) },
    actual,
  );
  if (holding.kind !== 'builds-on-ours') return false;
  const noted = published.heldBy?.some((held) => held.tag === tag && held.digest === actual) === true;
  if (!noted && published.revision === record.revision) {
    const outcome = await publishVersion(deps, record.repository, record.version, {
      revision: record.revision,
      force: true,
      allowPartial: (published.missingPlatforms?.length ?? 0) > 0,
    });
    deps.logger.info('a published tag holds a manifest built on our index; left as it is', {
      repository: record.repository,
      version: record.version,
      tag,
      holder: actual,
      note: holding.note,
      recorded: outcome.kind,
    });
  }
  return true;
}

/** What this pass did to a version that its events had not: said in the version's history. */
function repairNotes(report: MutableReport, version: string, nowMs: number): HistoryNote[] {
  const at = new Date(nowMs).toISOString();
  const notes: HistoryNote[] = [];
  if (report.published.includes(version))
    notes.push({
      id: `repaired:publish:${at}`,
      kind: HistoryKinds.repaired,
      at,
      action: 'published a complete version nobody had published',
    });
  if (report.publishedPartially.includes(version))
    notes.push({
      id: `repaired:partial:${at}`,
      kind: HistoryKinds.repaired,
      at,
      action: 'published what there is of a stale version (onStale: publish-partial)',
    });
  return notes;
}

type MutableReport = {
  -readonly [K in keyof ReconcileReport]: ReconcileReport[K] extends ReadonlyArray<infer T> ? T[] : ReconcileReport[K];
};

/** The report a pass over `repository` starts with: nothing found, nothing done, the end reached. */
export function emptyReport(repository: string): MutableReport {
  return {
    repository,
    tagsScanned: 0,
    pushesRecovered: [],
    versionsChecked: 0,
    published: [],
    publishedPartially: [],
    stale: [],
    drift: [],
    floatingRepaired: [],
    conflicts: [],
    failures: [],
    cursor: null,
  };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(text: string | null | undefined): Cursor {
  if (text === undefined || text === null || text === '') return { phase: 'tags', after: '' };
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (value.phase === 'tags' && typeof value.after === 'string') return value;
    if (value.phase === 'versions' && (typeof value.cursor === 'string' || value.cursor === null)) return value;
  } catch {
    // fall through to the error naming the field
  }
  throw new InvalidInputError('cursor: not a cursor this service returned', 'cursor');
}
