import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { bundleFunction } from '../scripts/build.mjs';
import { percentile } from './harness.ts';
import { canCountInstructions, INSTRUCTION_COUNTS, processInstructions } from './import-instructions.ts';
import { type BundleNode, nodeVersionAtLeast } from './lambda-node.ts';
import { type MedianInterval, medianInterval } from './median-interval.ts';

export interface BundleFigures {
  readonly name: string;
  /** What a cold start loads: index.mjs and the chunks it imports statically. */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Everything in the function's folder, the chunks loaded only on demand included. */
  readonly totalBytes: number;
  /** Milliseconds to import the bundle in a fresh `node` process (module load + init), median and p90. */
  readonly initP50Ms: number;
  readonly initP90Ms: number;
  /**
   * CPU milliseconds (user + system) the same imports took, median: less sensitive than the wall
   * clock to other processes on a shared machine, so it is the figure to compare when the load is high.
   */
  readonly initCpuP50Ms: number;
  /**
   * Over the floor, paired by round: the median of (this bundle's import − the floor's import in the
   * same round), wall clock and CPU. Drift of the machine between rounds cancels out of each pair,
   * where the difference of two medians keeps it (it swung by ±8 ms between quiet runs of 25 rounds).
   * Undefined for the floor itself.
   */
  readonly overFloorP50Ms?: number;
  readonly overFloorCpuP50Ms?: number;
  /**
   * Minor page faults during the same imports (the process's, its threads' included), median; and over
   * the floor, the median of the paired rounds' differences. Each fault costs what the host charges
   * for one (bench/host-costs.ts measures it), so the count says how much of an init over the floor is
   * the host's price per fault rather than the work of the code: on this VM a fault cost 10–15 µs.
   */
  readonly pageFaultsP50: number;
  readonly overFloorPageFaults?: number;
  /**
   * Instructions of the import, counted by cachegrind in processes of their own (each process's minus
   * the same node importing nothing; bench/import-instructions.ts): the init's figure that does not
   * move with the host. The median of {@link INSTRUCTION_COUNTS} counts, and how far they spread
   * (largest − smallest). Undefined when valgrind is not installed.
   */
  readonly importInstructions?: { readonly median: number; readonly spread: number };
  /**
   * The 95 % interval of that wall-clock median ({@link medianInterval}): a median of a few dozen
   * paired imports on a VM moves by a millisecond or two between runs, and the bound it is read
   * against is 5 ms, so the report says how far the figure can be trusted.
   */
  readonly overFloorIntervalMs?: { readonly low: number; readonly high: number };
  /**
   * The same imports with a V8 code cache for every bundle, floor included (Node's compile cache,
   * `NODE_COMPILE_CACHE`, filled by one import of each first): what a cache shipped with the functions
   * would leave of their init over the floor. Undefined on a node without a compile cache (before 22.1).
   */
  readonly compileCached?: {
    readonly initP50Ms: number;
    readonly overFloorP50Ms?: number;
    readonly overFloorIntervalMs?: { readonly low: number; readonly high: number };
  };
  /**
   * Garbage collections V8 ran while the import was under way (young generation: scavenges; old:
   * mark-compacts), fewest and most over imports of their own, not the timed ones. A scavenge here
   * costs 1.5–3 ms, so one more than the floor's is a step in the init that no byte count shows.
   */
  readonly gcsDuringImport: {
    readonly minor: { readonly fewest: number; readonly most: number };
    readonly major: { readonly fewest: number; readonly most: number };
  };
}

const root = join(import.meta.dirname, '..');
/** The SDK-only floor first, then every Lambda function, each with its own output folder under dist/. */
export const BUNDLES = [
  { name: 'sdk-only floor', entry: 'bench/sdk-floor.ts', out: 'bench-sdk-floor' },
  { name: 'on-image-push', entry: 'functions/on-image-push.ts', out: 'bench-on-image-push' },
  { name: 'api', entry: 'functions/api.ts', out: 'bench-api' },
  { name: 'reconcile', entry: 'functions/reconcile.ts', out: 'bench-reconcile' },
] as const;

// What a function reads at module load (the composition root builds its clients then); no call is made.
export const LAMBDA_ENV = {
  TABLE_NAME: 'bench',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  EVENT_BUS_NAME: 'default',
};

/** A bundle built for the bench: its entry file and what a cold start loads of it. */
export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly startFiles: readonly string[];
  readonly startBytes: number;
  readonly totalBytes: number;
}

/** Builds each Lambda bundle and the SDK-only floor (first) as scripts/build.mjs does, its chunks folded. */
export async function buildBenchBundles(): Promise<BuiltBundle[]> {
  const files: BuiltBundle[] = [];
  for (const bundle of BUNDLES) files.push({ name: bundle.name, ...(await buildBundle(bundle)) });
  return files;
}

/**
 * Times importing each of `files` (the floor first) in a fresh process of `node`, `rounds` times,
 * interleaved so that drift of the machine hits all bundles alike.
 */
export function benchBundleImports(files: readonly BuiltBundle[], node: BundleNode, rounds = 120): BundleFigures[] {
  const wall = new Map<string, number[]>(files.map((f) => [f.name, []]));
  const cpu = new Map<string, number[]>(files.map((f) => [f.name, []]));
  const faults = new Map<string, number[]>(files.map((f) => [f.name, []]));
  const cachedWall = new Map<string, number[]>(files.map((f) => [f.name, []]));
  const caches = hasCompileCache(node) ? fillCompileCaches(node, files) : undefined;
  for (let round = 0; round < rounds; round++) {
    // Each round starts with another bundle, so no bundle is always the one imported after a pause.
    for (let i = 0; i < files.length; i++) {
      const f = files[(round + i) % files.length]!;
      const sample = timedImport(node, f.file);
      wall.get(f.name)?.push(sample.wallMs);
      cpu.get(f.name)?.push(sample.cpuMs);
      faults.get(f.name)?.push(sample.faults);
      const cache = caches?.get(f.name);
      if (cache !== undefined) cachedWall.get(f.name)?.push(timedImport(node, f.file, cache).wallMs);
    }
  }
  const instructions = canCountInstructions() ? importInstructions(node, files) : undefined;
  const at = (samples: readonly number[] | undefined, q: number) => percentile(samples ?? [], q);
  const floor = files[0]!.name;
  const overFloor = (samples: Map<string, number[]>, name: string) =>
    medianInterval((samples.get(name) ?? []).map((ms, round) => ms - (samples.get(floor)?.[round] ?? NaN)));
  const compileCached = (name: string): BundleFigures['compileCached'] => {
    if (caches === undefined) return undefined;
    const initP50Ms = at(cachedWall.get(name), 0.5);
    return name === floor ? { initP50Ms } : { initP50Ms, ...wallOverFloor(overFloor(cachedWall, name)) };
  };
  return files.map((f) => {
    const gzipBytes = f.startFiles.reduce((sum, file) => sum + gzipSync(readFileSync(join(root, file)), { level: 9 }).length, 0);
    return {
      name: f.name,
      bytes: f.startBytes,
      gzipBytes,
      totalBytes: f.totalBytes,
      initP50Ms: at(wall.get(f.name), 0.5),
      initP90Ms: at(wall.get(f.name), 0.9),
      initCpuP50Ms: at(cpu.get(f.name), 0.5),
      pageFaultsP50: at(faults.get(f.name), 0.5),
      gcsDuringImport: gcsDuringImport(node, f.file),
      ...(instructions === undefined ? {} : { importInstructions: instructions.get(f.name) }),
      ...(caches === undefined ? {} : { compileCached: compileCached(f.name) }),
      ...(f.name === floor ? {} : overFloorFigures(overFloor(wall, f.name), overFloor(cpu, f.name), overFloor(faults, f.name))),
    };
  });
}

function overFloorFigures(wall: MedianInterval, cpu: MedianInterval, faults: MedianInterval): Partial<BundleFigures> {
  return { ...wallOverFloor(wall), overFloorCpuP50Ms: cpu.median, overFloorPageFaults: faults.median };
}

/** A wall-clock median over the floor and its 95 % interval, as BundleFigures (and compileCached) name them. */
function wallOverFloor(wall: MedianInterval): { overFloorP50Ms: number; overFloorIntervalMs: { low: number; high: number } } {
  return { overFloorP50Ms: wall.median, overFloorIntervalMs: { low: wall.low, high: wall.high } };
}

/**
 * Builds one bundle as scripts/build.mjs does into dist/<out> (dist/<prefix><out> when
 * given, so a test and a bench never share a folder), and measures what a cold start loads.
 */
export async function buildBundle(
  bundle: { entry: string; out: string },
  prefix = '',
): Promise<{ file: string; startFiles: string[]; startBytes: number; totalBytes: number }> {
  const out = `${prefix}${bundle.out}`;
  const { outdir, metafile } = (await bundleFunction({ name: out, entry: bundle.entry })) as { outdir: string; metafile: Metafile };
  return { file: join(outdir, 'index.mjs'), ...loadedAtStart(metafile, out) };
}

/** The output files a cold start reads (the entry and, transitively, its static imports) and their size. */
function loadedAtStart(metafile: Metafile, out: string): { startFiles: string[]; startBytes: number; totalBytes: number } {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((path) => path.endsWith(`${out}/index.mjs`));
  const seen = new Set<string>();
  for (const stack = entry === undefined ? [] : [entry]; stack.length > 0; ) {
    const path = stack.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const imported of outputs[path]?.imports ?? [])
      if (imported.kind === 'import-statement' && imported.path in outputs) stack.push(imported.path);
  }
  const bytesOf = (paths: Iterable<string>) => [...paths].reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0);
  const total = Object.keys(outputs).filter((path) => path.includes(`/${out}/`) && !path.endsWith('.map'));
  return { startFiles: [...seen], startBytes: bytesOf(seen), totalBytes: bytesOf(total) };
}

/** Each bundle's import instructions: its counted processes' minus the median of the same node importing nothing. */
function importInstructions(
  node: BundleNode,
  files: readonly BuiltBundle[],
): Map<string, NonNullable<BundleFigures['importInstructions']>> {
  const env = importEnvironment();
  const counts = (file: string | undefined) => Array.from({ length: INSTRUCTION_COUNTS }, () => processInstructions(node, file, env));
  const empty = percentile(counts(undefined), 0.5);
  return new Map(
    files.map((f) => {
      const imports = counts(f.file).map((count) => count - empty);
      return [f.name, { median: percentile(imports, 0.5), spread: Math.max(...imports) - Math.min(...imports) }];
    }),
  );
}

/** How many untimed imports of each bundle its garbage collections are counted over. */
export const GC_COUNTING_IMPORTS = 5;

/**
 * The garbage collections that ran while `file` was imported, in `imports` fresh node processes of
 * their own, counted with perf_hooks' `gc` entries (each carries its start time; the observer is told
 * only after the import, so the entries that started before it ended are the import's). The fewest
 * and the most over those imports: a collection V8 schedules as a task may fall before or after the
 * import's end.
 */
function gcsDuringImport(node: BundleNode, file: string, imports = GC_COUNTING_IMPORTS): BundleFigures['gcsDuringImport'] {
  const script =
    `const { PerformanceObserver, constants } = await import('node:perf_hooks'); const seen = [];` +
    ` const observer = new PerformanceObserver((list) => seen.push(...list.getEntries())); observer.observe({ entryTypes: ['gc'] });` +
    ` await import(${JSON.stringify(`file://${file}`)}); const ended = performance.now();` +
    ` await new Promise((resolve) => setTimeout(resolve, 100)); observer.disconnect();` +
    ` const during = seen.filter((entry) => entry.startTime < ended);` +
    ` const count = (kind) => during.filter((entry) => entry.detail.kind === kind).length;` +
    ` process.stdout.write(JSON.stringify({ minor: count(constants.NODE_PERFORMANCE_GC_MINOR), major: count(constants.NODE_PERFORMANCE_GC_MAJOR) }));`;
  const counts = Array.from({ length: imports }, () =>
    runImportScript<{ minor: number; major: number }>(node, script, `importing ${file} to count its garbage collections`),
  );
  const range = (kind: 'minor' | 'major') => {
    const values = counts.map((count) => count[kind]);
    return { fewest: Math.min(...values), most: Math.max(...values) };
  };
  return { minor: range('minor'), major: range('major') };
}

/** Whether `node` has Node's compile cache (`NODE_COMPILE_CACHE`, since 22.1). */
export function hasCompileCache(node: Pick<BundleNode, 'version'>): boolean {
  return nodeVersionAtLeast(node.version, 22, 1);
}

/**
 * A compile cache directory per bundle under .cache/bench-compile-cache/, emptied, then filled by one
 * import of the bundle (node writes it as the process exits), with the flags of the timed imports: V8
 * accepts a cache only from the same V8, flags and CPU.
 */
function fillCompileCaches(node: BundleNode, files: readonly BuiltBundle[]): Map<string, string> {
  const caches = new Map<string, string>();
  for (const f of files) {
    const dir = join(root, '.cache', 'bench-compile-cache', basename(dirname(f.file)));
    rmSync(dir, { recursive: true, force: true });
    timedImport(node, f.file, dir);
    caches.set(f.name, dir);
  }
  return caches;
}

/** One import: its wall-clock and CPU milliseconds and the minor page faults the process took meanwhile. */
interface ImportSample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly faults: number;
}

/**
 * Imports `file` in a fresh node process started as Lambda starts it (with Node's compile cache in
 * `compileCacheDir` when given): what the import alone took.
 */
function timedImport(node: BundleNode, file: string, compileCacheDir?: string): ImportSample {
  const script =
    `const f = process.resourceUsage().minorPageFault; const c = process.cpuUsage(); const t = performance.now(); ` +
    `await import(${JSON.stringify(`file://${file}`)}); const wall = performance.now() - t; const u = process.cpuUsage(c); ` +
    `const faults = process.resourceUsage().minorPageFault - f; ` +
    `process.stdout.write(JSON.stringify({ wallMs: wall, cpuMs: (u.user + u.system) / 1000, faults }));`;
  const env: Record<string, string> = compileCacheDir === undefined ? {} : { NODE_COMPILE_CACHE: compileCacheDir };
  return runImportScript<ImportSample>(node, script, `importing ${file}`, env);
}

/** The environment of every import: the caller's, without a compile cache of its own (it would time the plain imports with one), and Lambda's. */
function importEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const { NODE_COMPILE_CACHE: _callersCache, ...inherited } = process.env;
  return { ...(inherited as Record<string, string>), ...LAMBDA_ENV, NODE_NO_WARNINGS: '1', ...extra };
}

/** Runs `script` (an ES module that writes one JSON value) in a fresh process of `node`, with Lambda's flags and environment. */
function runImportScript<T>(node: BundleNode, script: string, what: string, env: Record<string, string> = {}): T {
  const result = spawnSync(node.path, [...node.flags, '--input-type=module', '-e', script], {
    cwd: root,
    env: importEnvironment(env),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${what} with node ${node.version} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
