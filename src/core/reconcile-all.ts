import { describeError, isRetryable } from './errors.ts';
import type { Dependencies } from './ports.ts';
import { type ReconcileLimits, type ReconcileReport, reconcileRepository } from './reconcile.ts';

/** The checkpoint under which a repository's reconcile cursor is kept between runs. */
export function reconcileCheckpointName(repository: string): string {
  return `reconcile:${repository}`;
}

/**
 * Where a pass that ran out of time stopped, so the next pass starts there instead of at the first
 * repository again (which would starve every repository after one that needs a whole pass).
 * `-pass` cannot clash with {@link reconcileCheckpointName}: repository names have no `:` after it.
 */
export const RECONCILE_PASS_CHECKPOINT = 'reconcile-pass:next-repository';

/**
 * One scheduled pass over every configured repository, page by page, until each is covered or the
 * time budget runs out. Each repository resumes where the previous pass stopped (its cursor is
 * saved as a checkpoint), so a large registry is covered over several passes instead of never.
 */
export async function reconcileAll(
  deps: Dependencies,
  options: { deadline: number; limits?: ReconcileLimits },
): Promise<ReconcileReport[]> {
  const reports: ReconcileReport[] = [];
  const repositories = (await deps.store.listRepositoryConfigs()).map((c) => c.repository);
  const resumeAt = await deps.store.getCheckpoint(RECONCILE_PASS_CHECKPOINT);
  for (const repository of startingAt(repositories, resumeAt)) {
    const checkpoint = reconcileCheckpointName(repository);
    let cursor = (await deps.store.getCheckpoint(checkpoint)) ?? null;
    do {
      if (deps.clock.now() >= options.deadline) {
        deps.logger.info('reconcile pass out of time; the next pass resumes here', { repository });
        await deps.store.putCheckpoint(RECONCILE_PASS_CHECKPOINT, repository);
        return reports;
      }
      let report: ReconcileReport;
      try {
        report = await reconcileRepository(deps, repository, { cursor, ...(options.limits ? { limits: options.limits } : {}) });
      } catch (error) {
        // A failing repository must not stop the others. A passing failure (registry or store
        // unavailable, throttled) keeps the checkpoint, so the next pass resumes where this one was;
        // anything else (a saved cursor that no longer reads) starts the repository over.
        const retryable = isRetryable(error);
        deps.logger.error(`reconcile of a repository failed; ${retryable ? 'resuming it' : 'starting it over'} next pass`, {
          repository,
          error: describeError(error),
        });
        if (!retryable) await deps.store.putCheckpoint(checkpoint, null);
        break;
      }
      reports.push(report);
      cursor = report.cursor;
      await deps.store.putCheckpoint(checkpoint, cursor);
      if (hasFindings(report)) deps.logger.info('reconciled', { ...report });
    } while (cursor !== null);
  }
  if (resumeAt !== undefined) await deps.store.putCheckpoint(RECONCILE_PASS_CHECKPOINT, null);
  return reports;
}

/** The repositories in order, rotated to start at `first` (or the next one after it, if it is gone). */
function startingAt(repositories: readonly string[], first: string | undefined): string[] {
  const at = first === undefined ? -1 : repositories.findIndex((r) => r >= first);
  return at <= 0 ? [...repositories] : [...repositories.slice(at), ...repositories.slice(0, at)];
}

function hasFindings(report: ReconcileReport): boolean {
  return (
    report.pushesRecovered.length +
      report.published.length +
      report.publishedPartially.length +
      report.stale.length +
      report.drift.length +
      report.floatingRepaired.length +
      report.failures.length >
    0
  );
}
