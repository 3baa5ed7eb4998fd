import { dependenciesFromEnv } from '../src/composition.ts';
import { createReconcileHandler } from '../src/handlers/reconcile.ts';

/** Lambda entry point: the scheduled reconciler (lost events, dead publishers, stale versions, drift). */
export const handler = createReconcileHandler(await dependenciesFromEnv());
