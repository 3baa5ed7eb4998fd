import { createRequire } from 'node:module';

/** The LevelDB folder stayed locked by another process for longer than the wait. */
export class LevelDbLockedError extends Error {
  constructor(
    readonly path: string,
    waitedMs: number,
  ) {
    super(
      `the LevelDB folder ${path} is still locked by another process after ${waitedMs} ms ` +
        '(another runner on the same DATA_DIR, or a dynalite process it left behind)',
    );
    this.name = 'LevelDbLockedError';
  }
}

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Resolves once the LevelDB database at `path` can be opened by this process: LevelDB locks its
 * folder for one process at a time, and dynalite opens it lazily, so a folder still held by a
 * process that is exiting would leave dynalite answering every request with "Database is not
 * open". Opens and closes the database with dynalite's own `level`, retrying while it is locked.
 */
export async function waitForLevelDbUnlocked(path: string, options: { timeoutMs?: number; everyMs?: number } = {}): Promise<void> {
  const { timeoutMs = 10_000, everyMs = 50 } = options;
  const Level = dynaliteLevel();
  const started = Date.now();
  for (;;) {
    const db = new Level(path);
    try {
      await db.open();
      await db.close();
      return;
    } catch (error) {
      if (!isLocked(error)) throw error;
      if (Date.now() - started >= timeoutMs) throw new LevelDbLockedError(path, Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

/** classic-level reports a held lock as LEVEL_DATABASE_NOT_OPEN caused by LEVEL_LOCKED. */
function isLocked(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return cause?.code === 'LEVEL_LOCKED';
}

/** The `Level` class dynalite stores its tables with (resolved from dynalite, not from this project). */
function dynaliteLevel(): new (path: string) => LevelDb {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  return (fromDynalite('level') as { Level: new (path: string) => LevelDb }).Level;
}
