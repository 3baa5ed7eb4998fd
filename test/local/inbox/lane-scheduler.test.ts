import { describe, expect, it } from 'vitest';
import { type LaneRunResult, LaneScheduler } from '../../../src/local/inbox/lane-scheduler.ts';
import { seededRandom, yieldMicrotasks } from '../../support/fakes.ts';

interface Item {
  readonly lane: string;
  readonly n: number;
}

/**
 * A scheduler whose runs finish only when the test says so: it sees which items run at a moment
 * (counts, never times), and decides the result of each run.
 */
function gatedScheduler(concurrency: number) {
  const running = new Map<Item, (result: LaneRunResult) => void>();
  const started: Item[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  let maxRunning = 0;
  const scheduler = new LaneScheduler<Item>({
    concurrency,
    run: (item) =>
      new Promise<LaneRunResult>((resolve) => {
        started.push(item);
        running.set(item, resolve);
        maxRunning = Math.max(maxRunning, running.size);
      }),
    setTimer: (fn, ms) => {
      const timer = { fn, ms };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      const i = timers.indexOf(timer as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
  });
  const finish = async (item: Item, result: LaneRunResult = { kind: 'done' }) => {
    const resolve = running.get(item);
    if (resolve === undefined) throw new Error(`${item.lane}#${item.n} is not running`);
    running.delete(item);
    resolve(result);
    await yieldMicrotasks(10);
  };
  return { scheduler, running, started, timers, finish, maxRunning: () => maxRunning };
}

const item = (lane: string, n: number): Item => ({ lane, n });

describe('LaneScheduler', () => {
  it('runs the items of one lane one at a time, in the order they were pushed', async () => {
    const g = gatedScheduler(4);
    const items = [item('a', 1), item('a', 2), item('a', 3)];
    for (const i of items) g.scheduler.push(i.lane, i);
    await yieldMicrotasks(10);
    expect([...g.running.keys()]).toEqual([items[0]]);
    await g.finish(items[0]!);
    expect([...g.running.keys()]).toEqual([items[1]]);
    await g.finish(items[1]!);
    await g.finish(items[2]!);
    expect(g.started).toEqual(items);
    expect(g.maxRunning()).toBe(1);
    expect(g.scheduler.size).toBe(0);
  });

  it('says on push whether the item waits behind an earlier item of its lane', async () => {
    const g = gatedScheduler(1);
    const [a1, a2, b1] = [item('a', 1), item('a', 2), item('b', 1)];
    expect(g.scheduler.push('a', a1), 'first of its lane').toBe(false);
    expect(g.scheduler.push('a', a2), 'behind a#1').toBe(true);
    // Waiting for a free slot (concurrency 1) is not waiting behind its lane.
    expect(g.scheduler.push('b', b1), 'first of lane b').toBe(false);
    await yieldMicrotasks(10);
    await g.finish(a1);
    await g.finish(b1);
    await g.finish(a2);
    const a3 = item('a', 3);
    expect(g.scheduler.push('a', a3), 'lane a is empty again').toBe(false);
    await yieldMicrotasks(10);
    await g.finish(a3);
    await g.scheduler.stop();
    expect(g.scheduler.push('a', item('a', 4)), 'stopped: it will not run').toBe(false);
  });

  it('runs different lanes side by side, up to the concurrency and no further', async () => {
    const g = gatedScheduler(3);
    const heads = ['a', 'b', 'c', 'd', 'e'].map((lane) => item(lane, 1));
    for (const i of heads) g.scheduler.push(i.lane, i);
    await yieldMicrotasks(10);
    expect(g.running.size).toBe(3);
    expect(g.scheduler.running).toBe(3);
    expect(g.scheduler.size).toBe(5);
    // A slot that frees up goes to the next lane in line.
    await g.finish(heads[1]!);
    expect([...g.running.keys()].map((i) => i.lane).sort()).toEqual(['a', 'c', 'd']);
    for (const i of [heads[0]!, heads[2]!, heads[3]!]) await g.finish(i);
    await g.finish(heads[4]!);
    expect(g.maxRunning()).toBe(3);
    expect(g.started.map((i) => i.lane)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('lets lanes take turns, so a long lane does not hold back one that arrived later', async () => {
    const g = gatedScheduler(1);
    g.scheduler.push('long', item('long', 1));
    g.scheduler.push('long', item('long', 2));
    g.scheduler.push('long', item('long', 3));
    g.scheduler.push('short', item('short', 1));
    await yieldMicrotasks(10);
    for (let i = 0; i < 4; i++) await g.finish([...g.running.keys()][0]!);
    expect(g.started.map((i) => `${i.lane}#${i.n}`)).toEqual(['long#1', 'short#1', 'long#2', 'long#3']);
  });

  describe('when a run asks for a retry', () => {
    it('keeps the item at the head of its lane, frees its slot while it waits, and runs it again before the items behind it', async () => {
      const g = gatedScheduler(1);
      const [a1, a2, b1] = [item('a', 1), item('a', 2), item('b', 1)];
      g.scheduler.push('a', a1);
      g.scheduler.push('a', a2);
      g.scheduler.push('b', b1);
      await yieldMicrotasks(10);
      await g.finish(a1, { kind: 'retry', afterMs: 1_000 });
      // The slot went to lane b; a2 did not overtake a1.
      expect([...g.running.keys()]).toEqual([b1]);
      expect(g.timers.map((t) => t.ms)).toEqual([1_000]);
      expect(g.scheduler.size).toBe(3);
      await g.finish(b1);
      expect(g.running.size).toBe(0);
      g.timers.shift()!.fn();
      await yieldMicrotasks(10);
      expect([...g.running.keys()]).toEqual([a1]);
      await g.finish(a1);
      await g.finish(a2);
      expect(g.started).toEqual([a1, b1, a1, a2]);
      expect(g.scheduler.size).toBe(0);
    });
  });

  it('counts a run that throws as done and goes on with its lane', async () => {
    const crashes: unknown[] = [];
    const ran: number[] = [];
    const scheduler = new LaneScheduler<number>({
      concurrency: 2,
      run: async (n) => {
        ran.push(n);
        if (n === 1) throw new Error('boom');
        return { kind: 'done' };
      },
      onCrash: (error) => crashes.push(error),
    });
    scheduler.push('a', 1);
    scheduler.push('a', 2);
    await scheduler.idle();
    expect(ran).toEqual([1, 2]);
    expect(crashes).toHaveLength(1);
  });

  it('starts nothing after stop, waits for the runs in progress, and cancels pending retries', async () => {
    const g = gatedScheduler(2);
    const [a1, b1, b2, c1] = [item('a', 1), item('b', 1), item('b', 2), item('c', 1)];
    for (const i of [a1, b1, b2, c1]) g.scheduler.push(i.lane, i);
    await yieldMicrotasks(10);
    await g.finish(a1, { kind: 'retry', afterMs: 500 });
    // c1 took a's slot.
    expect([...g.running.keys()]).toEqual([b1, c1]);
    let stopped = false;
    const stopping = g.scheduler.stop().then(() => (stopped = true));
    expect(g.timers).toEqual([]);
    await yieldMicrotasks(10);
    expect(stopped).toBe(false);
    await g.finish(b1);
    await g.finish(c1);
    await stopping;
    expect(g.started).toEqual([a1, b1, c1]);
    g.scheduler.push('d', item('d', 1));
    await yieldMicrotasks(10);
    expect(g.running.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a concurrency of %s', (concurrency) => {
    expect(() => new LaneScheduler({ concurrency, run: async () => ({ kind: 'done' }) })).toThrow(/positive integer/);
  });

  describe('under a random mix of lanes and finishing orders', () => {
    it.each([1, 2, 3, 4, 5, 6, 7, 8])('keeps each lane in order and never runs two of a lane at once (seed %i)', async (seed) => {
      const random = seededRandom(seed);
      const concurrency = 1 + Math.floor(random() * 4);
      const g = gatedScheduler(concurrency);
      const pushed = new Map<string, number>();
      let overlaps = 0;
      for (let step = 0; step < 200; step++) {
        if (random() < 0.5) {
          const lane = `v${Math.floor(random() * 6)}`;
          const n = (pushed.get(lane) ?? 0) + 1;
          pushed.set(lane, n);
          g.scheduler.push(lane, item(lane, n));
        } else if (g.running.size > 0) {
          const runningNow = [...g.running.keys()];
          const lanes = runningNow.map((i) => i.lane);
          if (new Set(lanes).size !== lanes.length) overlaps += 1;
          await g.finish(runningNow[Math.floor(random() * runningNow.length)]!);
        }
        await yieldMicrotasks(3);
      }
      while (g.running.size > 0) await g.finish([...g.running.keys()][0]!);
      expect(overlaps).toBe(0);
      expect(g.maxRunning()).toBeLessThanOrEqual(concurrency);
      for (const [lane, count] of pushed) {
        expect(g.started.filter((i) => i.lane === lane).map((i) => i.n)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      }
      expect(g.scheduler.size).toBe(0);
    });
  });
});
