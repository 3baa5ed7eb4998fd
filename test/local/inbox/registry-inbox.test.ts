import { describe, expect, it } from 'vitest';
import type { InboxEntry } from '../../../src/adapters/inbox/inbox-entry.ts';
import { DomainError, ErrorCodes, InvalidInputError } from '../../../src/core/errors.ts';
import { type InboxStore, RegistryInbox } from '../../../src/local/inbox/registry-inbox.ts';
import type { EcrImageActionEvent } from '../../../src/local/registry/registry-events.ts';
import { localPushEvent } from '../../support/ecr-event.ts';
import { CapturingLogger, yieldMicrotasks } from '../../support/fakes.ts';

/** The inbox's store in memory, counting its writes. */
class MemoryInboxStore implements InboxStore {
  readonly entries = new Map<string, InboxEntry>();
  adds = 0;
  removes = 0;
  failAdds = false;
  /** While true, each write waits for {@link releaseAdds}. */
  holdAdds = false;
  #held: Array<() => void> = [];

  releaseAdds(): void {
    this.holdAdds = false;
    for (const release of this.#held.splice(0)) release();
  }

  async add(entry: InboxEntry): Promise<boolean> {
    this.adds += 1;
    if (this.holdAdds) await new Promise<void>((resolve) => this.#held.push(resolve));
    if (this.failAdds) throw new Error('dynalite is not answering');
    if (this.entries.has(entry.id)) return false;
    this.entries.set(entry.id, entry);
    return true;
  }
  async list(): Promise<InboxEntry[]> {
    return [...this.entries.values()];
  }
  async remove(ids: readonly string[]): Promise<void> {
    this.removes += 1;
    for (const id of ids) this.entries.delete(id);
  }
}

function push(id: string, repository: string, tag: string): { id: string; event: EcrImageActionEvent } {
  return { id, event: localPushEvent(id, repository, tag) };
}

/** The version lane of the default tag pattern: everything before the last dash. */
const laneOf = async (event: EcrImageActionEvent) =>
  `${event.detail['repository-name']}:${event.detail['image-tag'].replace(/-[^-]+$/, '')}`;

/** An inbox whose handler runs finish only when the test says so; retries wait for the test too. */
function harness(options: { concurrency?: number; store?: MemoryInboxStore; ownPuts?: readonly string[] } = {}) {
  const store = options.store ?? new MemoryInboxStore();
  const logger = new CapturingLogger();
  const running = new Map<string, { resolve: () => void; reject: (error: unknown) => void }>();
  const calls: string[] = [];
  /** The pushes the inbox asked to read ahead, in order: those queued behind an earlier push of their lane. */
  const readAhead: string[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  let maxRunning = 0;
  const inbox = new RegistryInbox({
    store,
    laneOf,
    logger,
    isOwnPut: (event) => options.ownPuts?.includes(event.detail['image-tag']) === true,
    readAhead: (event) => readAhead.push(event.id),
    concurrency: options.concurrency ?? 4,
    handle: (event) =>
      new Promise<void>((resolve, reject) => {
        calls.push(event.id);
        running.set(event.id, { resolve, reject });
        maxRunning = Math.max(maxRunning, running.size);
      }),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
  });
  const settle = async (id: string, error?: unknown) => {
    const run = running.get(id);
    if (run === undefined) throw new Error(`${id} is not running (running: ${[...running.keys()].join(', ')})`);
    running.delete(id);
    if (error === undefined) run.resolve();
    else run.reject(error);
    await yieldMicrotasks(20);
  };
  const settleAll = async () => {
    while (running.size > 0) await settle([...running.keys()][0]!);
  };
  return { inbox, store, logger, running, calls, readAhead, timers, settle, settleAll, maxRunning: () => maxRunning };
}

describe('RegistryInbox', () => {
  it('records a push with one write and resolves before the handler has finished', async () => {
    const h = harness();
    expect(await h.inbox.accept(push('e1', 'team/app', '1.0-amd64'))).toBe('recorded');
    expect(h.store.adds).toBe(1);
    await yieldMicrotasks(20);
    expect([...h.running.keys()]).toEqual(['e1']);
    // Still recorded while it is being handled: a kill now loses nothing.
    expect([...h.store.entries.keys()]).toEqual(['e1']);
    await h.settle('e1');
    expect(h.store.entries.size).toBe(0);
    expect(h.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'registry inbox: handled a push',
        fields: expect.objectContaining({ id: 'e1', tag: '1.0-amd64' }),
      }),
    );
  });

  it('removes the pushes handled while a removal runs together, in one request', async () => {
    const store = new MemoryInboxStore();
    let release: (() => void) | undefined;
    const removals: string[][] = [];
    store.remove = async (ids) => {
      removals.push([...ids]);
      // The first removal hangs until the test lets it go: the pushes handled meanwhile wait for the next one.
      if (removals.length === 1) await new Promise<void>((resolve) => (release = resolve));
      for (const id of ids) store.entries.delete(id);
    };
    const h = harness({ store });
    for (const id of ['e1', 'e2', 'e3']) await h.inbox.accept(push(id, 'team/app', `${id}-amd64`));
    await yieldMicrotasks(20);
    await h.settle('e1');
    await h.settle('e2');
    await h.settle('e3');
    expect(removals).toEqual([['e1']]);
    // Handled and waiting to be removed: still recorded, so a kill now handles them again (harmless).
    expect([...store.entries.keys()].sort()).toEqual(['e1', 'e2', 'e3']);
    release?.();
    await h.inbox.idle();
    expect(removals).toEqual([['e1'], ['e2', 'e3']]);
    expect(store.entries.size).toBe(0);
  });

  it('answers the push of an index it put itself without recording or handling it, and counts it', async () => {
    const h = harness({ ownPuts: ['1.0'] });
    expect(await h.inbox.accept(push('e1', 'team/app', '1.0'))).toBe('own-put');
    expect(await h.inbox.accept(push('e2', 'team/app', '1.0-amd64'))).toBe('recorded');
    await yieldMicrotasks(20);
    expect(h.store.adds, 'only the per-arch push was written').toBe(1);
    expect(h.calls).toEqual(['e2']);
    expect(h.inbox.pending).toBe(1);
    expect(h.inbox.metricsText()).toContain('manifest_assembler_inbox_own_puts_total 1\n');
  });

  it('handles the pushes of one version in order and different versions side by side', async () => {
    const h = harness({ concurrency: 3 });
    for (const [id, tag] of [
      ['a1', '1.0-amd64'],
      ['b1', '2.0-amd64'],
      ['a2', '1.0-arm64'],
      ['c1', '3.0-amd64'],
      ['b2', '2.0-arm64'],
      ['d1', '4.0-amd64'],
    ] as const) {
      await h.inbox.accept(push(id, 'team/app', tag));
    }
    await yieldMicrotasks(20);
    // Three versions at once (the concurrency), one push of each; the second push of 1.0 and 2.0 wait.
    expect([...h.running.keys()]).toEqual(['a1', 'b1', 'c1']);
    await h.settle('b1');
    // The freed slot goes to the version that was next in line (4.0) or to b2 behind it, never to a2.
    expect([...h.running.keys()].sort()).toEqual(['a1', 'c1', 'd1']);
    await h.settle('a1');
    expect([...h.running.keys()].sort()).toEqual(['b2', 'c1', 'd1']);
    await h.settleAll();
    await h.settleAll();
    expect(h.calls.indexOf('a1')).toBeLessThan(h.calls.indexOf('a2'));
    expect(h.calls.indexOf('b1')).toBeLessThan(h.calls.indexOf('b2'));
    expect(h.calls).toHaveLength(6);
    expect(h.maxRunning()).toBe(3);
    expect(h.store.entries.size).toBe(0);
    // Read ahead: only the pushes that waited behind their version's earlier push (d1 waited for a
    // free slot, not for its version, and was not).
    expect(h.readAhead).toEqual(['a2', 'b2']);
  });

  it('asks for no read ahead for a push that runs at once, nor for a redelivery of a queued push', async () => {
    const h = harness();
    await h.inbox.accept(push('a1', 'team/app', '1.0-amd64'));
    await yieldMicrotasks(20);
    await h.settle('a1');
    await h.inbox.accept(push('a2', 'team/app', '1.0-arm64'));
    await h.inbox.accept(push('a3', 'team/app', '1.0-arm'));
    // A redelivery of a3 while it waits: recorded again if need be, not queued (or read ahead) twice.
    await h.inbox.accept(push('a3', 'team/app', '1.0-arm'));
    await yieldMicrotasks(20);
    expect(h.readAhead).toEqual(['a3']);
    await h.settleAll();
    await h.settleAll();
    expect(h.calls).toEqual(['a1', 'a2', 'a3']);
  });

  describe('when the registry delivers a push twice', () => {
    it('keeps one record while it waits, and skips it once it was handled', async () => {
      const h = harness();
      expect(await h.inbox.accept(push('e1', 'team/app', '1.0-amd64'))).toBe('recorded');
      expect(await h.inbox.accept(push('e1', 'team/app', '1.0-amd64'))).toBe('recorded-already');
      await yieldMicrotasks(20);
      await h.settle('e1');
      expect(await h.inbox.accept(push('e1', 'team/app', '1.0-amd64'))).toBe('handled-already');
      await yieldMicrotasks(20);
      expect(h.calls).toEqual(['e1']);
      expect(h.store.adds).toBe(2);
    });
  });

  describe('when the handler fails in a way worth retrying', () => {
    it('keeps the push recorded, tries it again with growing pauses, and holds its version behind it', async () => {
      const h = harness();
      await h.inbox.accept(push('a1', 'team/app', '1.0-amd64'));
      await h.inbox.accept(push('a2', 'team/app', '1.0-arm64'));
      await h.inbox.accept(push('b1', 'team/app', '2.0-amd64'));
      await yieldMicrotasks(20);
      await h.settle('a1', new DomainError(ErrorCodes.unavailable, 'registry answered 503', { retryable: true }));
      expect(h.timers.map((t) => t.ms)).toEqual([1_000]);
      expect(h.running.has('a2')).toBe(false);
      expect(h.store.entries.has('a1')).toBe(true);
      h.timers.shift()!.fn();
      await yieldMicrotasks(20);
      await h.settle('a1', new Error('socket hang up'));
      expect(h.timers.map((t) => t.ms)).toEqual([2_000]);
      h.timers.shift()!.fn();
      await yieldMicrotasks(20);
      await h.settle('a1');
      await h.settleAll();
      expect(h.calls.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a1', 'a1', 'a2']);
      expect(h.store.entries.size).toBe(0);
      const failures = h.logger.lines.filter((line) => line.level === 'error' && line.message.includes('trying again later'));
      expect(failures.map((line) => [line.fields.attempt, line.fields.error])).toEqual([
        [1, 'registry answered 503'],
        [2, 'socket hang up'],
      ]);
    });
  });

  describe('when the handler refuses a push for good', () => {
    it('logs why with an error line, forgets it and goes on with its version', async () => {
      const h = harness();
      await h.inbox.accept(push('a1', 'team/app', '1.0-amd64'));
      await h.inbox.accept(push('a2', 'team/app', '1.0-arm64'));
      await yieldMicrotasks(20);
      await h.settle('a1', new InvalidInputError('malformed ECR Image Action event'));
      await h.settleAll();
      expect(h.calls).toEqual(['a1', 'a2']);
      expect(h.store.entries.size).toBe(0);
      expect(h.logger.lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: expect.stringContaining('dead-letter'),
          fields: expect.objectContaining({ id: 'a1', error: 'malformed ECR Image Action event' }),
        }),
      );
    });
  });

  it('starts the handler beside the write, answers once the write landed, and removes the push only after both', async () => {
    const h = harness();
    h.store.holdAdds = true;
    let answered = false;
    const accepting = h.inbox.accept(push('e1', 'team/app', '1.0-amd64')).then((outcome) => {
      answered = true;
      return outcome;
    });
    await yieldMicrotasks(20);
    expect(h.calls, 'the handler runs while the push is being written').toEqual(['e1']);
    expect(answered, 'the webhook waits for the write').toBe(false);
    await h.settle('e1');
    expect(h.store.removes, 'nothing is removed before its write landed').toBe(0);
    h.store.releaseAdds();
    expect(await accepting).toBe('recorded');
    await h.inbox.idle();
    expect([...h.store.entries.keys()]).toEqual([]);
    expect(h.store.removes).toBe(1);
    expect(h.inbox.pending).toBe(0);
  });

  it('rejects when the push cannot be recorded; the redelivery is then known as handled, and nothing stays', async () => {
    const h = harness();
    h.store.failAdds = true;
    await expect(h.inbox.accept(push('e1', 'team/app', '1.0-amd64'))).rejects.toThrow('dynalite is not answering');
    await yieldMicrotasks(20);
    // Started beside the write: the webhook answers 500 and the registry sends the push again.
    expect(h.calls).toEqual(['e1']);
    await h.settle('e1');
    h.store.failAdds = false;
    expect(await h.inbox.accept(push('e1', 'team/app', '1.0-amd64'))).toBe('handled-already');
    await h.inbox.idle();
    expect(h.calls).toEqual(['e1']);
    expect([...h.store.entries.keys()]).toEqual([]);
    expect(h.inbox.pending).toBe(0);
  });

  it('records the redelivery of a push whose write failed while its handler still runs, without queueing it twice', async () => {
    const h = harness();
    h.store.failAdds = true;
    await expect(h.inbox.accept(push('e1', 'team/app', '1.0-amd64'))).rejects.toThrow('dynalite is not answering');
    h.store.failAdds = false;
    expect(await h.inbox.accept(push('e1', 'team/app', '1.0-amd64'))).toBe('recorded');
    await yieldMicrotasks(20);
    expect(h.calls).toEqual(['e1']);
    expect(h.inbox.pending).toBe(1);
    await h.settle('e1');
    await h.inbox.idle();
    expect(h.calls).toEqual(['e1']);
    expect([...h.store.entries.keys()], 'removed once handled').toEqual([]);
    expect(h.inbox.pending).toBe(0);
  });

  describe('started on a store that holds pushes from a runner that was killed', () => {
    it('handles each of them, in the order they arrived, and empties the store', async () => {
      const store = new MemoryInboxStore();
      const first = harness({ store, concurrency: 1 });
      for (const [id, tag] of [
        ['a1', '1.0-amd64'],
        ['b1', '2.0-amd64'],
        ['a2', '1.0-arm64'],
        ['b2', '2.0-arm64'],
      ] as const) {
        await first.inbox.accept(push(id, 'team/app', tag));
      }
      await yieldMicrotasks(20);
      await first.settle('a1');
      // The kill: a1 finished, b1 is running, a2 and b2 wait. Nothing of the first inbox runs on.
      void first.inbox.stop();
      expect([...store.entries.keys()].sort()).toEqual(['a2', 'b1', 'b2']);

      const second = harness({ store, concurrency: 1 });
      expect(await second.inbox.start()).toBe(3);
      await yieldMicrotasks(20);
      await second.settleAll();
      await second.settleAll();
      await second.settleAll();
      expect(second.calls).toEqual(['b1', 'a2', 'b2']);
      expect(store.entries.size).toBe(0);
    });
  });

  it('reports what it did in the Prometheus text format', async () => {
    const h = harness();
    await h.inbox.accept(push('e1', 'team/app', '1.0-amd64'));
    await h.inbox.accept(push('e2', 'team/app', '2.0-amd64'));
    await yieldMicrotasks(20);
    await h.settle('e1');
    const text = h.inbox.metricsText();
    expect(text).toContain('manifest_assembler_inbox_recorded_total 2\n');
    expect(text).toContain('manifest_assembler_inbox_handled_total 1\n');
    expect(text).toContain('manifest_assembler_inbox_pending 1\n');
  });
});
