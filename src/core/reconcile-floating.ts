import { describeError } from './errors.ts';
import { type FloatingPointer, floatingRank } from './floating-pointer.ts';
import { advanceFloatingTag, settleFloatingTag } from './floating-tags.ts';
import type { FloatingTagPointers, PublishedTags, UseCaseDependencies } from './ports.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { isRelease, parseSemver } from './semver.ts';
import { floatingTargetTags } from './target-tags.ts';
import type { VersionRecord } from './version-record.ts';

/** What repairing floating tags needs: what moving them needs, and the time. */
type FloatingRepairDependencies = UseCaseDependencies<FloatingTagPointers & PublishedTags, 'clock' | 'registry' | 'logger'>;

/** What the reconciler did about floating tags (merged into its report). */
export interface FloatingFindings {
  /** Floating tags put back on (or moved forward to) the version their pointer names. */
  readonly repaired: string[];
  /** Floating tags someone else moved: left alone (`onDrift: report`) or put back (`restore`). */
  readonly drift: Array<{ version: string; tag: string; expected: string; actual: string | null; action: 'reported' | 'restored' }>;
  readonly failures: Array<{ what: string; error: string }>;
}

/**
 * Moves floating tags forward to the published releases of `records` they lag behind: a floating
 * template added to the config after those versions were published, or a publish recorded whose
 * floating step was cut short. Only complete, up-to-date publishes of releases count.
 */
export async function advanceLaggingFloatingTags(
  deps: FloatingRepairDependencies,
  repository: string,
  config: RepositoryConfig,
  records: readonly VersionRecord[],
  pointers: Map<string, FloatingPointer>,
  findings: FloatingFindings,
): Promise<void> {
  const now = deps.clock.now();
  // The highest candidate per tag first, so a page holding 1.10.0 and 2.0.0 moves latest once.
  const candidates = new Map<string, FloatingPointer>();
  for (const record of records) {
    const published = record.published;
    const semver = parseSemver(record.version);
    if (published === undefined || semver === undefined || !isRelease(semver)) continue;
    if (published.revision !== record.revision || (published.missingPlatforms?.length ?? 0) > 0) continue;
    if (record.lease !== undefined && record.lease.until > now) continue; // its publisher moves them
    for (const tag of floatingTargetTags(config, record.version)) {
      const pointer: FloatingPointer = {
        tag,
        version: record.version,
        digest: published.digest,
        revision: published.revision,
        rank: floatingRank(semver, record.version, published.revision),
      };
      const best = candidates.get(tag);
      if (best === undefined || pointer.rank > best.rank) candidates.set(tag, pointer);
    }
  }
  for (const [tag, pointer] of candidates) {
    const current = pointers.get(tag);
    if (current !== undefined && current.rank >= pointer.rank) continue;
    try {
      const result = await advanceFloatingTag(deps, repository, pointer);
      pointers.set(tag, result.pointer);
      if (result.outcome === 'moved') findings.repaired.push(tag);
    } catch (error) {
      findings.failures.push({
        what: `${repository}:${tag}`,
        error: `floating tag not moved to ${pointer.version}: ${describeError(error)}`,
      });
    }
  }
}

/**
 * Puts each floating tag back on the index its pointer names when the registry holds something else:
 * a publisher that died between claiming the pointer and putting, or before putting a higher
 * version's index back over its own late put. A tag that holds an index someone else put (not one
 * manifest-assembler published under it) is reported instead, unless the repository says
 * `onDrift: restore`.
 */
export async function repairFloatingTags(
  deps: FloatingRepairDependencies,
  repository: string,
  config: RepositoryConfig,
  pointers: Iterable<FloatingPointer>,
  findings: FloatingFindings,
): Promise<void> {
  for (const pointer of pointers) {
    // A pointer of a template the config no longer has is history, not a tag to keep.
    if (!floatingTargetTags(config, pointer.version).includes(pointer.tag)) continue;
    const { tag } = pointer;
    try {
      const actual = await deps.registry.resolveTag(repository, tag);
      if (actual === pointer.digest) continue;
      const ours = actual === undefined || (await deps.store.isPublishedTag({ repository, tag, digest: actual }));
      if (!ours && config.onDrift !== 'restore') {
        deps.logger.warn('drift: a floating tag was moved by someone else', {
          repository,
          tag,
          version: pointer.version,
          expected: pointer.digest,
          actual,
        });
        findings.drift.push({ version: pointer.version, tag, expected: pointer.digest, actual: actual ?? null, action: 'reported' });
        continue;
      }
      await settleFloatingTag(deps, repository, pointer);
      deps.logger.warn('floating tag repaired', { repository, tag, version: pointer.version, digest: pointer.digest, was: actual ?? null });
      if (ours) findings.repaired.push(tag);
      else findings.drift.push({ version: pointer.version, tag, expected: pointer.digest, actual: actual ?? null, action: 'restored' });
    } catch (error) {
      findings.failures.push({ what: `${repository}:${tag}`, error: `floating tag not repaired: ${describeError(error)}` });
    }
  }
}
