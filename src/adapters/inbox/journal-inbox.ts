import { ftruncateSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/ports.ts';
import type { InboxEntry } from './inbox-entry.ts';

/** The journal's file name inside its folder, and the name a compaction writes before it renames. */
export const JOURNAL_FILE = 'journal.jsonl';
const COMPACTING_FILE = 'journal.jsonl.compacting';

/** One line of the journal: a recorded event, or events forgotten. */
type JournalRecord = { readonly add: InboxEntry } | { readonly remove: readonly string[] };

export interface JournalInboxOptions {
  /**
   * Rewrite the file with only what it still holds once this many of its lines are dead (removed
   * events and removal lines) and they are more than the live ones; truncate it, if the inbox is
   * empty by then. Default 4,096 (about 2.5 MB of lines for a registry notification).
   */
  readonly compactAfterDeadLines?: number;
  /** Where a failed compaction is said (the journal stays as it was and is compacted after a later write). */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** What the journal did so far: how many appends and syncs (several records share one of each under load). */
export interface JournalStats {
  readonly writes: number;
  readonly syncs: number;
  readonly compactions: number;
  /** Lines dropped when the file was opened: a last line cut short by a crash (never answered for). */
  readonly tornLines: number;
}

interface Pending {
  readonly line: string;
  /** Whether the caller waits for the line to be durable (a recorded event) or only written (a removal). */
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The local runner's durable inbox as an append-only journal file under the data folder: one JSON
 * line per recorded event and per removal. {@link add} resolves once its line is written and
 * `fdatasync`ed, so an event the webhook answered for survives the runner's `kill -9` and the
 * machine losing power; what is recorded while a sync runs goes out together in the next write
 * and sync (group commit). The live events are kept in memory, so a redelivered event is known
 * without a read. The file is rewritten (or truncated, if empty) when it holds mostly dead lines.
 * One process writes it: the runner, which holds dynalite's lock on the same data folder.
 */
export class JournalInbox {
  readonly #dir: string;
  readonly #compactAfterDeadLines: number;
  readonly #logger: Pick<Logger, 'warn'> | undefined;
  #file: FileHandle;
  /** Recorded and not removed, in order of arrival (a Map keeps insertion order). */
  readonly #live = new Map<string, InboxEntry>();
  #deadLines: number;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  /** Adds being written: a redelivery arriving meanwhile is answered only once the first is durable. */
  readonly #writing = new Map<string, Promise<void>>();
  /** Bytes in the file, so a write that failed half-way can be cut off again. */
  #size = 0;
  #stats = { writes: 0, syncs: 0, compactions: 0, tornLines: 0 };
  #closed = false;

  private constructor(dir: string, file: FileHandle, options: JournalInboxOptions) {
    this.#dir = dir;
    this.#file = file;
    this.#compactAfterDeadLines = options.compactAfterDeadLines ?? 4_096;
    this.#logger = options.logger;
    this.#deadLines = 0;
  }

  /** Opens (or creates) the journal in `dir` and reads what it holds. */
  static async open(dir: string, options: JournalInboxOptions = {}): Promise<JournalInbox> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, JOURNAL_FILE);
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const file = await open(path, 'a', 0o600);
    const inbox = new JournalInbox(dir, file, options);
    await inbox.#load(text);
    return inbox;
  }

  get stats(): JournalStats {
    return { ...this.#stats };
  }

  /** Records `entry` durably: true when it is new, false when an event with its id is recorded already. */
  async add(entry: InboxEntry): Promise<boolean> {
    const writing = this.#writing.get(entry.id);
    if (writing !== undefined) {
      // Answered as a duplicate only once the first is durable (or again as new if that write failed).
      return writing.then(
        () => false,
        () => this.add(entry),
      );
    }
    if (this.#live.has(entry.id)) return false;
    this.#live.set(entry.id, entry);
    const written = this.#append({ add: entry }, true);
    this.#writing.set(entry.id, written);
    try {
      await written;
    } catch (error) {
      this.#live.delete(entry.id);
      throw error;
    } finally {
      this.#writing.delete(entry.id);
    }
    return true;
  }

  /** Every recorded event, in the order it arrived. */
  async list(): Promise<InboxEntry[]> {
    return [...this.#live.values()];
  }

  /** Forgets events that were handled (or refused for good): one line for all of them. */
  async remove(ids: readonly string[]): Promise<void> {
    const known = ids.filter((id) => this.#live.delete(id));
    if (known.length === 0) return;
    // Each removed event leaves its add line and this line's share dead.
    this.#deadLines += known.length + 1;
    // Not synced: a removal lost with the machine only makes the next start handle the push again.
    await this.#append({ remove: known }, false);
  }

  /** Writes what is queued and closes the file; later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing !== undefined) await this.#flushing;
    await this.#file.close();
  }

  #append(record: JournalRecord, sync: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the inbox journal is closed'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ line: `${JSON.stringify(record)}\n`, sync, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /** One write, and one sync when a recorded event is among them, for everything queued; again while more arrived meanwhile. */
  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      const text = batch.map((p) => p.line).join('');
      try {
        this.#write(text);
        this.#stats.writes += 1;
        if (batch.some((p) => p.sync)) {
          await this.#file.datasync();
          this.#stats.syncs += 1;
        }
      } catch (error) {
        for (const pending of batch) pending.reject(error);
        continue;
      }
      // What the batch wrote is durable whatever happens here: a compaction that failed leaves the
      // journal as it was (it renames only a complete new file) and is tried again after the next write.
      await this.#compactIfWorth().catch((error: unknown) =>
        this.#logger?.warn('registry inbox: could not compact the journal; it stays as it was and is tried again after the next write', {
          error: describeError(error),
        }),
      );
      for (const pending of batch) pending.resolve();
    }
    this.#flushing = undefined;
  }

  /**
   * Appends `text`; a write that failed half-way (a full disk) is cut off, so the next line starts clean.
   *
   * Synchronous on purpose: a line goes to the page cache in microseconds (0.016 ms of CPU, against
   * 0.065-0.084 ms for the same append through libuv's thread pool, measured idle), and it saves the
   * trip through the pool and back through the event loop, which under a burst waits behind the
   * handlers' callbacks: a runner profile of a burst had the main thread in the journal's pool calls
   * for 0.8 s of its 6 s. The sync that makes an add durable stays on the pool: it waits for the disk.
   */
  #write(text: string): void {
    const before = this.#size;
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let written = 0; written < bytes.length; ) written += writeSync(this.#file.fd, bytes, written);
      this.#size += bytes.length;
    } catch (error) {
      try {
        ftruncateSync(this.#file.fd, before);
      } catch {
        // The cut failed too: the next start drops a torn last line (#load).
      }
      throw error;
    }
  }

  /**
   * Once enough lines are dead: if the inbox is empty, the file is truncated in place (a crash after
   * it leaves an empty journal, which is right, or the old lines if the cut was not on the disk yet,
   * whose pushes the next start handles again); otherwise, if the dead lines are the most, the live
   * events are written to a new file, synced, renamed over the journal and the folder synced, so a
   * crash leaves the old journal or the new one, each complete.
   *
   * Not at every emptying: a truncation frees the file's blocks, which a file system may do while the
   * call waits for the disk (this VM's ext4 is mounted with `discard`), and the call blocks the event
   * loop. The inbox empties after nearly every event on a quiet runner; in a reduced bench run, each
   * of its 183 truncations put the main thread to sleep waiting for the disk, 2.3 ms on average,
   * where its appends never waited (perf, docs/performance.md).
   */
  async #compactIfWorth(): Promise<void> {
    if (this.#deadLines < this.#compactAfterDeadLines) return;
    if (this.#live.size === 0 && this.#queue.length === 0) {
      // Not synced, like a removal: lost with the machine, the lines come back and the next start
      // handles those pushes again (harmless); the next synced add makes the cut durable with it.
      ftruncateSync(this.#file.fd, 0);
      this.#size = 0;
    } else if (this.#deadLines > this.#live.size) {
      const path = join(this.#dir, JOURNAL_FILE);
      const next = join(this.#dir, COMPACTING_FILE);
      const body = [...this.#live.values()].map((add) => `${JSON.stringify({ add })}\n`).join('');
      const handle = await open(next, 'w', 0o600);
      try {
        await handle.writeFile(body, 'utf8');
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(next, path);
      await syncFolder(this.#dir);
      await this.#file.close();
      this.#file = await open(path, 'a', 0o600);
      this.#size = Buffer.byteLength(body, 'utf8');
    } else {
      return;
    }
    this.#deadLines = 0;
    this.#stats.compactions += 1;
  }

  async #load(text: string): Promise<void> {
    const lines = text.split('\n');
    // The text after the last newline is a line whose write a crash cut short: never answered for.
    const torn = lines.pop() ?? '';
    this.#size = Buffer.byteLength(text, 'utf8') - Buffer.byteLength(torn, 'utf8');
    if (torn !== '') {
      this.#stats.tornLines += 1;
      await this.#file.truncate(this.#size);
    }
    for (const line of lines) {
      if (line === '') continue;
      let record: JournalRecord;
      try {
        record = JSON.parse(line) as JournalRecord;
      } catch {
        // Only a line cut short by a power loss can be garbled, and its event was never answered for.
        this.#stats.tornLines += 1;
        this.#deadLines += 1;
        continue;
      }
      if ('add' in record) {
        if (this.#live.has(record.add.id)) this.#deadLines += 1;
        else this.#live.set(record.add.id, record.add);
      } else {
        for (const id of record.remove) this.#live.delete(id);
        this.#deadLines += record.remove.length + 1;
      }
    }
  }
}

/** Makes a rename in `dir` durable. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
