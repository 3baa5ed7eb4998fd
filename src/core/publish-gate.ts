import type { Dependencies } from './ports.ts';
import type { PublishOptions, PublishOutcome, publishVersionRecorded as PublishVersionRecorded } from './publish-version.ts';
import { missingPlatforms } from './readiness.ts';

// The publish path (publish-version.ts and what only it needs: the index builder's callers, the
// tag-holder checks, floating tags, announcements) is loaded by a push only when the push has
// something to publish: most pushes record one platform of a version still waiting for others, and
// on a cold start of the on-image-push function this code would otherwise be read and compiled
// before the first event (docs/performance.md, "Lambda bundles"). What decides it, and the lease
// length the push's own write takes the lease with, live here.

/** Timing of the publish protocol; defaults suit Lambda (60 s timeout) and the local runner alike. */
export const PublishTiming = {
  leaseMs: 30_000,
  /**
   * How long a caller waits for another publisher before giving up with a retryable error: longer
   * than a lease, so a caller outlives a dead holder's lease and takes over in the same invocation
   * (on-image-push has 60 s).
   */
  waitForLeaseMs: 40_000,
  pollStartMs: 20,
  pollMaxMs: 500,
  putAttempts: 4,
  putBackoffMs: 200,
  /**
   * A put starting this soon after the lease was taken (or renewed) needs no renewal first: the
   * lease outlasts it by more than a registry call's timeout (REGISTRY_CALL_TIMEOUT_MS, 20 s).
   */
  renewAfterMs: 5_000,
} as const;

/**
 * What publishing says without taking the lease, or undefined when the publish protocol has to run:
 * for a caller that holds no lease and knows the record, the revision is published already (a
 * redelivered event) or the version misses a platform (and a partial publish was not asked for).
 */
export function settledWithoutLease(options: PublishOptions): PublishOutcome | undefined {
  const known = options.known;
  if (options.held !== undefined || known === undefined) return undefined;
  const again = options.force === true || options.onlyIfChanged === true;
  if (!again && known.revision === options.revision && known.published?.revision === known.revision) {
    return { kind: 'up-to-date', digest: known.published.digest };
  }
  const missing = missingPlatforms(options.config, known);
  if (missing.length > 0 && options.allowPartial !== true) return { kind: 'waiting', missing };
  return undefined;
}

/**
 * `publishVersionRecorded` (publish-version.ts), which it imports only when {@link settledWithoutLease}
 * leaves something to do; the same answer either way.
 */
export const publishVersionOnDemand: typeof PublishVersionRecorded = async (
  deps: Dependencies,
  repository: string,
  version: string,
  options: PublishOptions,
) => {
  const settled = settledWithoutLease(options);
  if (settled !== undefined) return { outcome: settled };
  return (await publishPath()).publishVersionRecorded(deps, repository, version, options);
};

/**
 * The publish path's module, imported on first use. A push announcing a conflict loads it too (for
 * `announceOutcome`): one module to load on demand, so that the bundler splits what it shares with
 * the cold start into as few files as it can.
 */
export const publishPath = (): Promise<typeof import('./publish-path.ts')> =>
  // Kept after the first load: an import() of a loaded module still resolves it again (in a runner
  // under a module loader hook, a round trip to the loader's thread) on every publish.
  (loadingPublishPath ??= import('./publish-path.ts').catch((error: unknown) => {
    loadingPublishPath = undefined;
    throw error;
  }));
let loadingPublishPath: Promise<typeof import('./publish-path.ts')> | undefined;
