import type { ReconcileReport } from '../../src/core/reconcile.ts';

/**
 * A reconcile report of `repository` that found nothing and reached the end (as a run starts its
 * report: `emptyReport` in src/core/reconcile.ts), with `parts` over it.
 */
export function reconcileReportOf(repository: string, parts: Partial<ReconcileReport> = {}): ReconcileReport {
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
    ...parts,
  };
}
