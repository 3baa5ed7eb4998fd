// The CLI's start-up, for bin/manifest-assembler.mjs: running src/ through tsx costs seconds per run,
// so the bin imports an esbuild bundle of the CLI instead, built here on the first run and again
// whenever a source changes (`node scripts/build-cli.mjs` builds it ahead). Plain JavaScript with
// node: imports only, so that it runs before anything is built; esbuild and tsx are loaded on demand.
//
// The bundle lives in .cache/cli/<fingerprint>/, the fingerprint covering every source file's path,
// size and mtime (a changed, added or deleted file gives a new folder; no mtime comparison can be
// fooled by a checkout that sets old times). Each build writes to a temporary folder and renames it
// into place, so concurrent first runs never see half a bundle: one rename wins, the others discard
// their copy. When esbuild is missing (an install without dev dependencies) or the cache cannot be
// written, the CLI runs from source through tsx, as before.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SOURCE_EXTENSIONS = /\.(?:ts|mts|js|mjs|json)$/;
/** Old bundles are removed after a build once they are this old: a process started just before may still load their local.mjs. */
const OLD_BUNDLE_AGE_MS = 60 * 60 * 1000;
/** File system errors that mean "no cache here", not "something is broken": the CLI runs from source without a word. */
const QUIET_FS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']);

/**
 * A short hash of what the bundle is built from: every source file under src/ (path, size, mtime),
 * tsconfig.json, and this module (whose build options shape the bundle).
 */
export function fingerprintSources(root = projectRoot) {
  const srcDir = join(root, 'src');
  const files = readdirSync(srcDir, { recursive: true })
    .map(String)
    .filter((path) => SOURCE_EXTENSIONS.test(path))
    .map((path) => join(srcDir, path));
  const hash = createHash('sha256');
  for (const file of [...files.sort(), join(root, 'tsconfig.json'), fileURLToPath(import.meta.url)]) {
    let info;
    try {
      info = statSync(file);
    } catch {
      continue; // no tsconfig.json (a test's tree), or a file deleted while listing: its absence is the fingerprint
    }
    if (!info.isFile()) continue;
    hash.update(`${relative(root, file)}\0${info.size}\0${info.mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The folder holding main.mjs (the CLI), local.mjs (the local runner) and dynalite-child.mjs (the
 * process the runner starts dynalite in) for the sources as they are now, built first if needed.
 * Packages stay external: node_modules load as usual (dynalite, the AWS SDK), and only what `start`
 * needs is in local.mjs, so that other commands never load it.
 * @param {{ root?: string, cacheDir?: string, loadEsbuild?: () => Promise<typeof import('esbuild')> }} [options]
 * @returns {Promise<{ dir: string, built: boolean }>}
 */
export async function ensureCliBundle(options = {}) {
  const root = options.root ?? projectRoot;
  const cacheDir = options.cacheDir ?? join(root, '.cache', 'cli');
  const dir = join(cacheDir, fingerprintSources(root));
  if (existsSync(join(dir, 'main.mjs'))) return { dir, built: false };

  const { build } = await (options.loadEsbuild ?? (() => import('esbuild')))();
  const entryPoints = { main: join(root, 'src', 'cli', 'main.ts') };
  const localRunner = join(root, 'src', 'local', 'main.ts');
  if (existsSync(localRunner)) entryPoints.local = localRunner;
  // The local runner starts dynalite as a child process from this file (src/local/dynalite/dynalite-process.ts).
  const dynaliteChild = join(root, 'src', 'local', 'dynalite', 'dynalite-child.ts');
  if (existsSync(dynaliteChild)) entryPoints['dynalite-child'] = dynaliteChild;
  const result = await build({
    entryPoints,
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    // Dynamic imports stay dynamic (the API answers' readers, which load zod), and main.mjs and
    // local.mjs share their common modules: chunks/ beside them.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // Stack traces of unexpected errors point into src/ (the bin turns source maps on).
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'silent',
  });

  await mkdir(cacheDir, { recursive: true });
  const temporary = join(cacheDir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    for (const file of result.outputFiles) {
      const target = join(temporary, relative(dir, file.path));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.contents);
    }
    try {
      await rename(temporary, dir);
    } catch (error) {
      // Another run renamed its (identical) bundle into place first: use that one.
      if (!existsSync(join(dir, 'main.mjs'))) throw error;
    }
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  await removeOldBundles(cacheDir, dir);
  return { dir, built: true };
}

/**
 * The CLI's `main`, from the bundle when it can be had, else from source through tsx. With the
 * bundle comes `startLocalStack`, which loads the bundled local runner (the CLI's own loader would
 * look for src/local/main.ts next to the bundle).
 * @param {{ root?: string, cacheDir?: string, loadEsbuild?: () => Promise<unknown>, warn?: (text: string) => void, fromSource?: boolean }} [options]
 */
export async function loadCli(options = {}) {
  const root = options.root ?? projectRoot;
  const warn = options.warn ?? ((text) => process.stderr.write(`${text}\n`));
  if (!(options.fromSource ?? process.env.MANIFEST_ASSEMBLER_FROM_SOURCE === '1')) {
    let dir;
    try {
      ({ dir } = await ensureCliBundle(options));
    } catch (error) {
      if (!isQuietFailure(error))
        warn(`manifest-assembler: cannot bundle the CLI (${describe(error)}); running it from source, which is slower`);
    }
    if (dir !== undefined) {
      const { main } = await import(pathToFileURL(join(dir, 'main.mjs')).href);
      const local = pathToFileURL(join(dir, 'local.mjs')).href;
      const startLocalStack = async () => (await import(local)).startLocalStack();
      return { main, startLocalStack, from: 'bundle' };
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
  return { main, startLocalStack: undefined, from: 'source' };
}

function isQuietFailure(error) {
  const code = error?.code;
  // esbuild is a dev dependency: an install without it runs from source, as the bin always did.
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(error?.message).includes('esbuild')) return true;
  return QUIET_FS_CODES.has(code);
}

function describe(error) {
  // esbuild's BuildFailure lists each error with its place.
  const first = error?.errors?.[0];
  if (first !== undefined) {
    const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    return `${where}${first.text}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Best effort: removes other fingerprints' bundles (and abandoned temporary folders) that are old enough. */
async function removeOldBundles(cacheDir, keep) {
  try {
    const now = Date.now();
    for (const name of await readdir(cacheDir)) {
      const path = join(cacheDir, name);
      if (path === keep) continue;
      const info = await stat(path);
      if (now - info.mtimeMs > OLD_BUNDLE_AGE_MS) await rm(path, { recursive: true, force: true });
    }
  } catch {
    // Another run may be cleaning up at the same time; a leftover folder costs only disk space.
  }
}
