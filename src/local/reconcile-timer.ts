import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';
import type { ReconcileReport } from '../core/reconcile.ts';
import { summariseReconcilePass } from './reconcile-summary.ts';

/** Runs one reconcile pass (the reconcile handler, as the scheduled rule would invoke it). */
export type ReconcileInvoker = () => Promise<{ readonly reports: readonly ReconcileReport[] }>;

export interface ReconcileTimerOptions {
  /** Time from the start of one pass to the start of the next; must be positive. */
  readonly intervalMs: number;
  /**
   * Delay before the first pass (capped at the interval). A short wait lets a registry that kept
   * its queue through a runner restart redeliver first, so the pass has less to repair.
   */
  readonly firstDelayMs?: number;
  readonly pass: ReconcileInvoker;
  readonly logger: Logger;
}

/** A running reconcile timer. */
export interface ReconcileTimer {
  /** No pass starts after this is called; resolves once the pass in progress (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * The local stand-in for the scheduled reconcile Lambda: one pass shortly after start (it recovers
 * pushes whose notifications were lost while the runner was down or the registry restarted, since
 * distribution keeps undelivered notifications in memory only), then one every `intervalMs`.
 * The next pass is scheduled only when the previous one has ended, so two never overlap; a pass
 * longer than the interval is followed at once by the next. Each pass ends with one log line
 * ({@link summariseReconcilePass}); a failed pass is logged and the next one tries again.
 */
export function startReconcileTimer(options: ReconcileTimerOptions): ReconcileTimer {
  const { intervalMs, pass, logger } = options;
  if (!(intervalMs > 0)) throw new RangeError(`reconcile interval must be positive, got ${intervalMs} ms`);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      timer = undefined;
      const startedAt = performance.now();
      running = runPass(startedAt).finally(() => {
        running = undefined;
        if (!stopped) schedule(Math.max(0, intervalMs - (performance.now() - startedAt)));
      });
    }, delayMs);
    // The HTTP server keeps the process alive; a pending pass alone must not.
    timer.unref();
  };

  const runPass = async (startedAt: number): Promise<void> => {
    try {
      const { reports } = await pass();
      const line = summariseReconcilePass(reports, performance.now() - startedAt);
      logger[line.level](line.message, line.fields);
    } catch (error) {
      logger.error('reconcile pass failed; the next pass tries again', { error: describeError(error), nextInSeconds: intervalMs / 1_000 });
    }
  };

  schedule(Math.min(options.firstDelayMs ?? 2_000, intervalMs));
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
