import { emptyReport, type ReconcileReport } from '../../src/core/reconcile.ts';

/** A reconcile report of `repository` that found nothing and reached the end (a run's `emptyReport`), with `parts` over it. */
export function reconcileReportOf(repository: string, parts: Partial<ReconcileReport> = {}): ReconcileReport {
  return { ...emptyReport(repository), ...parts };
}
