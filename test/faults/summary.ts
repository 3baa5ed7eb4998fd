import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The figures of one suite's run, for the README's Reliability section. */
export interface SuiteFigures {
  readonly suite: string;
  readonly seeds: readonly (number | string)[];
  readonly versions: number;
  readonly eventsDelivered: number;
  readonly duplicates: number;
  readonly rebuilds?: number;
  /** Faults injected, by `"<call kind> <fault>"` or a name of the suite's own. */
  readonly faults: Readonly<Record<string, number>>;
  readonly indexPuts: number;
  readonly distinctIndexes: number;
  readonly maxPutsOfOneIndex: number;
  readonly ms: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const REPORT = join(HERE, 'LAST_RUN.md');
const LOCK = join(HERE, '.last-run.lock');
const HEADER = [
  '# Fault suites: figures of the last run',
  '',
  'Written by test/faults/*.int.test.ts at the end of each suite when FAULT_REPORT=1 (one row per suite; a suite run alone replaces its row).',
  'Replay a run with `FAULT_SEED=<seed> npx vitest run --project int test/faults`.',
  '',
  '| suite | seeds | versions | events delivered | duplicates | rebuilds | faults injected | index PUTs | distinct indexes | max PUTs of one index | time |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];

function formatRow(f: SuiteFigures): string {
  const faults = Object.entries(f.faults)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const faultText =
    faults.length === 0 ? 'none' : `${faults.reduce((s, [, n]) => s + n, 0)}: ${faults.map(([k, n]) => `${k} ×${n}`).join(', ')}`;
  return `| ${f.suite} | ${f.seeds.join(', ')} | ${f.versions} | ${f.eventsDelivered} | ${f.duplicates} | ${f.rebuilds ?? 0} | ${faultText} | ${f.indexPuts} | ${f.distinctIndexes} | ${f.maxPutsOfOneIndex} | ${(f.ms / 1000).toFixed(1)} s |`;
}

/** Prints one summary line; with FAULT_REPORT=1, also puts the suite's row into LAST_RUN.md (replacing its previous row). */
export function recordSuiteFigures(figures: SuiteFigures): void {
  const row = formatRow(figures);
  console.log(`[faults] ${row}`);
  // Only a run that asks for it rewrites the committed figures (`FAULT_REPORT=1 npm test`), so an
  // ordinary test run leaves the working tree clean.
  if (process.env.FAULT_REPORT !== '1') return;
  // Suites run in parallel workers: a directory made atomically serialises the read-modify-write.
  let locked = false;
  for (let i = 0; i < 200 && !locked; i++) {
    try {
      mkdirSync(LOCK);
      locked = true;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    let rows: string[] = [];
    try {
      rows = readFileSync(REPORT, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('| ') && !line.startsWith('| suite') && !line.startsWith('| ---'));
    } catch {
      // First run: no report yet.
    }
    rows = [...rows.filter((line) => !line.startsWith(`| ${figures.suite} |`)), row].sort();
    const temporary = `${REPORT}.${process.pid}.tmp`;
    writeFileSync(temporary, `${[...HEADER, ...rows].join('\n')}\n`);
    renameSync(temporary, REPORT);
  } finally {
    if (locked) rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Adds counts into a tally. */
export function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

/** What one scenario run adds to a suite's figures (a ScenarioResult has all of it). */
export interface RunFigures {
  readonly versions: readonly unknown[];
  readonly deliveries: readonly unknown[];
  readonly duplicates: number;
  readonly rebuilds: number;
}

/** A suite's figures as its cases add to them; {@link SuiteTally.record} writes them once the suite ends. */
export class SuiteTally {
  versions = 0;
  eventsDelivered = 0;
  duplicates = 0;
  rebuilds = 0;
  indexPuts = 0;
  distinctIndexes = 0;
  maxPutsOfOneIndex = 0;
  /** Faults injected, by name (see {@link SuiteFigures.faults}). */
  readonly faults: Record<string, number> = {};
  readonly #suite: string;
  readonly #seeds: readonly (number | string)[];
  readonly #started = Date.now();

  constructor(suite: string, seeds: readonly (number | string)[]) {
    this.#suite = suite;
    this.#seeds = seeds;
  }

  /** Adds a run's versions, deliveries, duplicates and rebuilds. */
  addRun(run: RunFigures): void {
    this.versions += run.versions.length;
    this.eventsDelivered += run.deliveries.length;
    this.duplicates += run.duplicates;
    this.rebuilds += run.rebuilds;
  }

  /** Adds a run's index puts; the most puts of one index is the largest any run saw. */
  addPuts(puts: { readonly indexPuts: number; readonly distinctIndexes: number; readonly maxPutsOfOneIndex: number }): void {
    this.indexPuts += puts.indexPuts;
    this.distinctIndexes += puts.distinctIndexes;
    this.maxPutsOfOneIndex = Math.max(this.maxPutsOfOneIndex, puts.maxPutsOfOneIndex);
  }

  /** Prints the suite's row (and writes it to LAST_RUN.md with FAULT_REPORT=1). */
  record(): void {
    const { versions, eventsDelivered, duplicates, rebuilds, indexPuts, distinctIndexes, maxPutsOfOneIndex, faults } = this;
    recordSuiteFigures({
      suite: this.#suite,
      seeds: this.#seeds,
      versions,
      eventsDelivered,
      duplicates,
      rebuilds,
      faults,
      indexPuts,
      distinctIndexes,
      maxPutsOfOneIndex,
      ms: Date.now() - this.#started,
    });
  }
}
