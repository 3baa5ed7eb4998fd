import { createRequire } from 'node:module';

/**
 * dynalite 4.0.0 (the latest) reads through Node streams over abstract-level iterators and, when a
 * stream ends or is destroyed, releases its iterator with `iterator.return()`, guarded by
 * `if (iterator.return)`. abstract-level iterators have no `return`: theirs is `close()`. So every
 * Query, Scan and ListTables left its LevelDB iterator open: registered on the database until it
 * closes, holding a native LevelDB iterator and its snapshot. Under API load that was the runner's
 * memory growth (every `GET /v1/repositories/…/versions` is a Query).
 *
 * The repair gives abstract-level's iterator classes the `return()` dynalite calls, as an alias of
 * their own `close()`. It is defined only where missing, so a later abstract-level that has one
 * keeps its own. It patches the copy dynalite actually loads (reached through dynalite's
 * dependencies, not ours), and is idempotent.
 */
export function repairDynaliteIteratorClose(): void {
  for (const Iterator of dynaliteIteratorClasses()) {
    const prototype = Iterator.prototype as { return?: unknown; close(): Promise<void> };
    if ('return' in prototype) continue;
    Object.defineProperty(prototype, 'return', {
      value: function (this: { close(): Promise<void> }) {
        return this.close();
      },
      writable: true,
      configurable: true,
    });
  }
}

interface AbstractLevelModule {
  readonly AbstractLevel: { prototype: object };
  readonly AbstractIterator: { prototype: object };
  readonly AbstractKeyIterator: { prototype: object };
  readonly AbstractValueIterator: { prototype: object };
}

/**
 * The abstract-level module(s) dynalite's stores are built on: `level` (classic-level, on disk) and
 * `memory-level` (in memory), each resolved from where its user resolves it.
 */
export function dynaliteAbstractLevels(): AbstractLevelModule[] {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const classicLevel = createRequire(createRequire(fromDynalite.resolve('level')).resolve('classic-level'));
  const memoryLevel = createRequire(fromDynalite.resolve('memory-level'));
  const modules = new Set([classicLevel('abstract-level'), memoryLevel('abstract-level')] as AbstractLevelModule[]);
  return [...modules];
}

function dynaliteIteratorClasses(): Array<{ prototype: object }> {
  return dynaliteAbstractLevels().flatMap((module) => [module.AbstractIterator, module.AbstractKeyIterator, module.AbstractValueIterator]);
}
