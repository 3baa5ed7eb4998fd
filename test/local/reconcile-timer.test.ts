import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReconcileReport } from '../../src/core/reconcile.ts';
import { type ReconcileInvoker, type ReconcileTimer, startReconcileTimer } from '../../src/local/reconcile-timer.ts';
import { CapturingLogger } from '../support/fakes.ts';
import { reconcileReportOf } from '../support/reconcile-report.ts';

const INTERVAL = 60_000;
const FIRST = 2_000;

/** A pass the test ends by hand, to hold one in progress. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const quiet = { reports: [] as ReconcileReport[] };

/** Counts passes, and how many ran at once at most. */
function countingPass(
  body: () => Promise<{ reports: ReconcileReport[] }> = async () => quiet,
): ReconcileInvoker & { calls: number; maxConcurrent: number } {
  let active = 0;
  const pass = Object.assign(
    async () => {
      pass.calls++;
      active++;
      pass.maxConcurrent = Math.max(pass.maxConcurrent, active);
      try {
        return await body();
      } finally {
        active--;
      }
    },
    { calls: 0, maxConcurrent: 0 },
  );
  return pass;
}

describe('startReconcileTimer', () => {
  let logger: CapturingLogger;
  let timer: ReconcileTimer | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    logger = new CapturingLogger();
  });
  afterEach(async () => {
    // A pass may still be sleeping on a fake timer: let fake time run while it stops.
    const stopping = timer?.stop();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    await stopping;
    timer = undefined;
    vi.useRealTimers();
  });

  it('runs a first pass shortly after start, then one per interval', async () => {
    const pass = countingPass();
    timer = startReconcileTimer({ intervalMs: INTERVAL, firstDelayMs: FIRST, pass, logger });
    await vi.advanceTimersByTimeAsync(FIRST - 1);
    expect(pass.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(pass.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(pass.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pass.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(pass.calls).toBe(5);
  });

  it('waits no longer than the interval for the first pass', async () => {
    const pass = countingPass();
    timer = startReconcileTimer({ intervalMs: 500, firstDelayMs: FIRST, pass, logger });
    await vi.advanceTimersByTimeAsync(500);
    expect(pass.calls).toBe(1);
  });

  it('never runs two passes at once: a pass longer than the interval is followed by the next one at once', async () => {
    const slow = deferred<{ reports: ReconcileReport[] }>();
    let first = true;
    const pass = countingPass(async () => {
      if (!first) return quiet;
      first = false;
      return slow.promise;
    });
    timer = startReconcileTimer({ intervalMs: INTERVAL, firstDelayMs: FIRST, pass, logger });
    await vi.advanceTimersByTimeAsync(FIRST + 5 * INTERVAL);
    expect(pass.calls).toBe(1);
    slow.resolve(quiet);
    await vi.advanceTimersByTimeAsync(0);
    expect(pass.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(pass.calls).toBe(3);
    expect(pass.maxConcurrent).toBe(1);
  });

  it('counts the interval from the start of a pass, not its end', async () => {
    const pass = countingPass(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      return quiet;
    });
    timer = startReconcileTimer({ intervalMs: INTERVAL, firstDelayMs: FIRST, pass, logger });
    await vi.advanceTimersByTimeAsync(FIRST + INTERVAL - 1);
    expect(pass.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pass.calls).toBe(2);
  });

  describe('stop', () => {
    it('resolves only once the pass in progress has finished, and no pass starts after it', async () => {
      const held = deferred<{ reports: ReconcileReport[] }>();
      const events: string[] = [];
      const pass = countingPass(async () => {
        const result = await held.promise;
        events.push('pass finished');
        return result;
      });
      timer = startReconcileTimer({ intervalMs: INTERVAL, firstDelayMs: FIRST, pass, logger });
      await vi.advanceTimersByTimeAsync(FIRST);
      expect(pass.calls).toBe(1);

      const stopped = timer.stop().then(() => events.push('stopped'));
      await vi.advanceTimersByTimeAsync(2 * INTERVAL);
      expect(events).toEqual([]);
      held.resolve(quiet);
      await stopped;
      expect(events).toEqual(['pass finished', 'stopped']);

      await vi.advanceTimersByTimeAsync(10 * INTERVAL);
      expect(pass.calls).toBe(1);
    });

    it('before the first pass: no pass ever runs', async () => {
      const pass = countingPass();
      timer = startReconcileTimer({ intervalMs: INTERVAL, firstDelayMs: FIRST, pass, logger });
      await timer.stop();
      await vi.advanceTimersByTimeAsync(10 * INTERVAL);
      expect(pass.calls).toBe(0);
    });

    it('can be called twice', async () => {
      timer = startReconcileTimer({ intervalMs: INTERVAL, pass: countingPass(), logger });
      await Promise.all([timer.stop(), timer.stop()]);
    });
  });

  describe('logging', () => {
    it('logs one line per pass: debug when there was nothing to do, info with what was repaired', async () => {
      const found = reconcileReportOf('hello', {
        tagsScanned: 2,
        pushesRecovered: ['2.7-amd64', '2.7-arm64'],
        versionsChecked: 1,
        published: ['2.7'],
      });
      let calls = 0;
      const pass = countingPass(async () => (calls++ === 0 ? { reports: [found] } : quiet));
      timer = startReconcileTimer({ intervalMs: INTERVAL, firstDelayMs: FIRST, pass, logger });
      await vi.advanceTimersByTimeAsync(FIRST + INTERVAL);
      expect(logger.lines.map((l) => [l.level, l.message])).toEqual([
        ['info', 'reconcile pass: 2 lost pushes recovered, 1 version published'],
        ['debug', 'reconcile pass: nothing to repair'],
      ]);
      expect(logger.lines[0]?.fields).toMatchObject({ recovered: 'hello:2.7-amd64,hello:2.7-arm64', published: 'hello:2.7' });
    });

    it('logs a failed pass as an error and tries again at the next interval', async () => {
      let calls = 0;
      const pass = countingPass(async () => {
        if (calls++ === 0) throw new Error('table unavailable');
        return quiet;
      });
      timer = startReconcileTimer({ intervalMs: INTERVAL, firstDelayMs: FIRST, pass, logger });
      await vi.advanceTimersByTimeAsync(FIRST + INTERVAL);
      expect(pass.calls).toBe(2);
      expect(logger.lines[0]).toMatchObject({
        level: 'error',
        message: 'reconcile pass failed; the next pass tries again',
        fields: { error: expect.stringContaining('table unavailable'), nextInSeconds: 60 },
      });
      expect(logger.lines[1]?.level).toBe('debug');
    });
  });

  it.each([0, -1, Number.NaN])('refuses an interval of %s', (intervalMs) => {
    expect(() => startReconcileTimer({ intervalMs, pass: countingPass(), logger })).toThrow(RangeError);
  });
});
