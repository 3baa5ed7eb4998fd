import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboxEntry } from '../../../src/adapters/inbox/inbox-entry.ts';
import { JOURNAL_FILE, JournalInbox } from '../../../src/adapters/inbox/journal-inbox.ts';
import { CapturingLogger } from '../../support/fakes.ts';
import { expectRestartResumesInbox } from '../../support/inbox-restart.ts';

const entry = (id: string, receivedAt: number, seq: number): InboxEntry => ({ id, body: JSON.stringify({ id }), receivedAt, seq });

describe('JournalInbox, a journal file under the data folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'journal-inbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records an event once, lists events in the order they arrived, removes some, and reads the same back after a reopen', async () => {
    const inbox = await JournalInbox.open(dir);
    expect(await inbox.add(entry('a', 1_000, 1))).toBe(true);
    expect(await inbox.add(entry('b', 1_000, 2))).toBe(true);
    expect(await inbox.add(entry('c', 1_001, 3))).toBe(true);
    // A redelivery of a recorded event: not written again, and the first one is kept as it was.
    expect(await inbox.add({ ...entry('b', 5_000, 7), body: '{"changed":true}' })).toBe(false);
    await inbox.remove(['a', 'not-there']);
    expect(await inbox.list()).toEqual([entry('b', 1_000, 2), entry('c', 1_001, 3)]);
    await inbox.close();

    const reopened = await JournalInbox.open(dir);
    expect(await reopened.list()).toEqual([entry('b', 1_000, 2), entry('c', 1_001, 3)]);
    expect(await reopened.add(entry('b', 9_000, 1))).toBe(false);
    await reopened.close();
  });

  it('writes and syncs the events recorded while a sync runs together (group commit)', async () => {
    const inbox = await JournalInbox.open(dir);
    const ids = Array.from({ length: 40 }, (_, i) => `e${i}`);
    expect(await Promise.all(ids.map((id, i) => inbox.add(entry(id, 1, i))))).toEqual(ids.map(() => true));
    // The first goes alone; the 39 queued behind its sync share the next write (and sync).
    expect(inbox.stats.writes).toBeLessThan(ids.length);
    expect(inbox.stats.syncs).toBe(inbox.stats.writes);
    // A removal is written and not synced (lost, it only makes the next start handle the push again).
    await inbox.remove(['e0']);
    expect(inbox.stats.writes - inbox.stats.syncs).toBe(1);
    await inbox.close();
    expect((await (await JournalInbox.open(dir)).list()).map((e) => e.id)).toEqual(ids.slice(1));
  });

  it('answers a redelivery that arrives while the first write runs only once that write is durable', async () => {
    const inbox = await JournalInbox.open(dir);
    const order: string[] = [];
    const first = inbox.add(entry('x', 1, 1)).then((isNew) => order.push(`first ${isNew}`));
    const again = inbox.add(entry('x', 2, 2)).then((isNew) => order.push(`again ${isNew}`));
    await Promise.all([first, again]);
    expect(order).toEqual(['first true', 'again false']);
    await inbox.close();
  });

  it('drops a last line a crash cut short (never answered for) and appends cleanly after it', async () => {
    const inbox = await JournalInbox.open(dir);
    await inbox.add(entry('kept', 1, 1));
    await inbox.close();
    await appendFile(join(dir, JOURNAL_FILE), '{"add":{"id":"torn","bo');

    const reopened = await JournalInbox.open(dir);
    expect(reopened.stats.tornLines).toBe(1);
    await reopened.add(entry('next', 2, 2));
    await reopened.close();
    expect((await (await JournalInbox.open(dir)).list()).map((e) => e.id)).toEqual(['kept', 'next']);
  });

  it('says when a compaction fails, and keeps the journal as it was', async () => {
    const logger = new CapturingLogger();
    const inbox = await JournalInbox.open(dir, { compactAfterDeadLines: 2, logger });
    // The rewrite's new file cannot be created: a folder holds its name.
    await mkdir(join(dir, `${JOURNAL_FILE}.compacting`));
    for (let i = 0; i < 3; i++) await inbox.add(entry(`a${i}`, i, i));
    await inbox.remove(['a0', 'a1']);
    expect(inbox.stats.compactions).toBe(0);
    expect(logger.lines).toMatchObject([{ level: 'warn', message: expect.stringContaining('could not compact the journal') }]);
    await inbox.close();
    expect((await (await JournalInbox.open(dir)).list()).map((e) => e.id)).toEqual(['a2']);
  });

  it('keeps the lines of an emptied journal until enough are dead, then truncates the file', async () => {
    const inbox = await JournalInbox.open(dir, { compactAfterDeadLines: 6 });
    const file = join(dir, JOURNAL_FILE);
    for (let i = 0; i < 2; i++) await inbox.add(entry(`a${i}`, i, i));
    await inbox.remove(['a0', 'a1']);
    // Empty, with 3 dead lines (two adds, one removal): below 6, the file keeps them.
    expect(inbox.stats.compactions).toBe(0);
    expect((await stat(file)).size).toBeGreaterThan(0);

    await inbox.add(entry('c0', 10, 1));
    await inbox.remove(['c0']); // 5 dead lines
    expect((await stat(file)).size).toBeGreaterThan(0);
    await inbox.add(entry('d0', 20, 1));
    await inbox.remove(['d0']); // 7 dead lines, nothing live
    expect(inbox.stats.compactions).toBe(1);
    expect((await stat(file)).size).toBe(0);

    await inbox.add(entry('e0', 30, 1));
    await inbox.close();
    expect((await (await JournalInbox.open(dir)).list()).map((e) => e.id)).toEqual(['e0']);
  });

  it('reads an emptied journal that kept its dead lines as empty', async () => {
    const inbox = await JournalInbox.open(dir);
    for (let i = 0; i < 3; i++) await inbox.add(entry(`a${i}`, i, i));
    await inbox.remove(['a0', 'a2']);
    await inbox.remove(['a1']);
    await inbox.close();
    expect((await stat(join(dir, JOURNAL_FILE))).size).toBeGreaterThan(0);
    expect(await (await JournalInbox.open(dir)).list()).toEqual([]);
  });

  it('rewrites the file with the live events once its dead lines are the most', async () => {
    const inbox = await JournalInbox.open(dir, { compactAfterDeadLines: 6 });
    const file = join(dir, JOURNAL_FILE);
    for (let i = 0; i < 10; i++) await inbox.add(entry(`b${i}`, 10 + i, i));
    for (let i = 0; i < 8; i++) await inbox.remove([`b${i}`]);
    // Two rewrites: after b3 (8 dead lines, 6 live) and after b6 (6 dead, 3 live).
    expect(inbox.stats.compactions).toBe(2);
    // The rewrite after b6 left the adds of b7, b8 and b9; b7's removal came after it.
    const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(4);
    expect(lines.some((line) => line.includes('"b0"'))).toBe(false);
    await inbox.add(entry('c', 30, 1));
    await inbox.close();
    expect((await (await JournalInbox.open(dir)).list()).map((e) => e.id)).toEqual(['b8', 'b9', 'c']);
  });

  it('keeps every event whose add resolved when its process is killed with SIGKILL mid-burst', async () => {
    // A child process records events as fast as it can and prints each id once add() resolved
    // (the moment the webhook answers 200); it is killed with SIGKILL while writing.
    const script = `
      import { JournalInbox } from ${JSON.stringify(join(import.meta.dirname, '../../../src/adapters/inbox/journal-inbox.ts'))};
      const inbox = await JournalInbox.open(process.argv[1]);
      let i = 0;
      const worker = async () => { for (;;) { const id = 'k' + i++; await inbox.add({ id, body: '{}', receivedAt: Date.now(), seq: i }); process.stdout.write(id + '\\n'); } };
      await Promise.all([worker(), worker(), worker(), worker()]);
    `;
    const tsx = join(import.meta.dirname, '../../../node_modules/.bin/tsx');
    const child = spawn(tsx, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.split('\n').length > 200) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const answered = out.split('\n').filter((id) => id !== '');
    const listed = new Set((await (await JournalInbox.open(dir)).list()).map((e) => e.id));
    expect(answered.length).toBeGreaterThanOrEqual(200);
    expect(answered.filter((id) => !listed.has(id))).toEqual([]);
  });
});

describe('RegistryInbox over JournalInbox, stopped mid-way and started again on the same folder', () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('handles what the first run recorded and did not finish, and nothing it finished', async () => {
    dir = await mkdtemp(join(tmpdir(), 'journal-registry-inbox-'));
    await expectRestartResumesInbox(
      async () => {
        const store = await JournalInbox.open(dir);
        return { store, close: () => store.close() };
      },
      // p1's removal is written before the "kill": only what it wrote is read back.
      async (store) => {
        while ((await store.list()).length > 2) await new Promise((r) => setTimeout(r, 5));
      },
    );
    expect(await (await JournalInbox.open(dir)).list()).toEqual([]);
  });
});
