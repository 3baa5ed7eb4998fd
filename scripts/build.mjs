#!/usr/bin/env node
// Builds one self-contained ESM bundle per Lambda function into dist/<name>/index.mjs, which
// serverless.yml packages as-is (no bundler plugin), with the chunks a cold start loads folded into
// dist/<name>/chunks/start.mjs (scripts/fold-start-chunks.mjs) and those loaded on demand beside it.
// Each build also writes an esbuild metafile to dist/meta/<name>.json (outside the function
// folders, so it is never zipped) for the tests that check what each bundle contains.
//
// Usage: node scripts/build.mjs
// Exits non-zero on any build error or when a required entry point is missing.

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { foldStartChunks, START_CHUNK } from './fold-start-chunks.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(root, 'dist');
const metaDir = join(distDir, 'meta');

/**
 * The functions serverless.yml deploys. `optional` entries may be missing (a function still being
 * written); they are skipped with a warning, and serverless.yml must not reference them until they exist.
 */
const functions = [
  { name: 'on-image-push', entry: 'functions/on-image-push.ts' },
  { name: 'api', entry: 'functions/api.ts' },
  { name: 'reconcile', entry: 'functions/reconcile.ts', optional: true },
];

// esbuild's ESM output turns a `require()` it could not resolve at build time (CJS code requiring a
// Node built-in) into a call that throws "Dynamic require of X is not supported". Only then is the
// createRequire banner needed; adding it everywhere would hide such code from review.
const dynamicRequireMarker = 'Dynamic require of';
const createRequireBanner =
  "import { createRequire as __maCreateRequire } from 'node:module'; const require = __maCreateRequire(import.meta.url);";

/**
 * The api function serves GET /v1/openapi.json, generated from the zod schemas by src/api/openapi.ts.
 * In a Lambda bundle that file is replaced by the document it generates, computed here at build
 * time: the generator and zod's JSON Schema converter would otherwise land on the cold path (esbuild
 * splits by file, and the converter sits in the zod core every cold start loads). The local runner
 * (tsx, no build) runs the generator itself on the first request; a test compares the two.
 */
const openApiAtBuildTime = {
  name: 'openapi-at-build-time',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]src[\\/]api[\\/]openapi\.ts$/ }, async () => ({
      contents: `const document = ${JSON.stringify(await generatedOpenApiDocument())};\nexport function openApiDocument() { return document; }\n`,
      loader: 'js',
    }));
  },
};

let openApiDocument;
/** Bundles the generator on its own, imports it from memory and runs it (once per build process). */
function generatedOpenApiDocument() {
  openApiDocument ??= (async () => {
    const generator = await build({
      entryPoints: [join(root, 'src/api/openapi.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      write: false,
      logLevel: 'silent',
    });
    const code = Buffer.from(generator.outputFiles[0].text).toString('base64');
    const module = await import(`data:text/javascript;base64,${code}`);
    return module.buildOpenApiDocument();
  })();
  return openApiDocument;
}

/** esbuild options shared by every function (see local-stack-facts §6 for why ESM + minify). */
export function buildOptions(fn, banner) {
  return {
    entryPoints: [join(root, fn.entry)],
    // Code splitting: what a function imports on demand (re2js for a custom tagPattern) goes into a
    // chunk beside index.mjs that is loaded only when used, not at every cold start.
    outdir: join(distDir, fn.name),
    absWorkingDir: root,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    plugins: [openApiAtBuildTime],
    ...(banner ? { banner: { js: banner } } : {}),
  };
}

/**
 * Builds one function into dist/<fn.name>/ as deployed: esbuild with {@link buildOptions}, again with
 * the createRequire banner when the code needs it, then the chunks index.mjs imports statically
 * folded into one (scripts/fold-start-chunks.mjs). Returns the metafile describing the files written.
 * The bench and the bundle tests build through here, so that they measure what is deployed.
 */
export async function bundleFunction(fn) {
  const outdir = join(distDir, fn.name);
  await rm(outdir, { recursive: true, force: true });
  let options = buildOptions(fn);
  let result = await build(options);
  const outfile = join(outdir, 'index.mjs');
  let banner = false;
  if (
    (await readFile(outfile)).includes(dynamicRequireMarker) ||
    (await chunksOf(fn.name)).some((chunk) => chunk.includes(dynamicRequireMarker))
  ) {
    await rm(outdir, { recursive: true, force: true });
    options = buildOptions(fn, createRequireBanner);
    result = await build(options);
    banner = true;
  }
  const metafile = await foldStartChunks({ outdir, metafile: result.metafile, absWorkingDir: root, options });
  return { outdir, metafile, warnings: result.warnings, banner };
}

async function buildFunction(fn) {
  const { metafile, warnings, banner } = await bundleFunction(fn);
  const code = await readFile(join(distDir, fn.name, 'index.mjs'));
  await writeFile(join(metaDir, `${fn.name}.json`), JSON.stringify(metafile));
  for (const warning of warnings) console.warn(`warning (${fn.name}): ${warning.text}`);
  const start = existsSync(join(distDir, fn.name, START_CHUNK)) ? await readFile(join(distDir, fn.name, START_CHUNK)) : Buffer.alloc(0);
  const chunks = await chunksOf(fn.name, basename(START_CHUNK));
  const chunkBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return {
    name: fn.name,
    bytes: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    startBytes: start.length,
    chunkBytes,
    chunks: chunks.length,
    banner,
  };
}

/** The contents of a function's chunks (but `except`, a file name in chunks/). */
async function chunksOf(name, except) {
  const dir = join(distDir, name, 'chunks');
  if (!existsSync(dir)) return [];
  const files = (await readdir(dir)).filter((file) => file !== except);
  return Promise.all(files.map((file) => readFile(join(dir, file))));
}

async function main() {
  await mkdir(metaDir, { recursive: true });
  const built = [];
  for (const fn of functions) {
    if (!existsSync(join(root, fn.entry))) {
      if (fn.optional) {
        console.warn(`warning: ${fn.entry} does not exist; skipping the optional function "${fn.name}"`);
        await rm(join(distDir, fn.name), { recursive: true, force: true });
        await rm(join(metaDir, `${fn.name}.json`), { force: true });
        continue;
      }
      throw new Error(`entry point ${fn.entry} of function "${fn.name}" does not exist`);
    }
    built.push(await buildFunction(fn));
  }
  for (const b of built) {
    const file = relative(root, join(distDir, b.name, 'index.mjs'));
    console.log(
      `${file.padEnd(28)} ${String(b.bytes).padStart(9)} B  gzip -9 ${String(b.gzip).padStart(8)} B` +
        (b.startBytes > 0 ? `  + ${START_CHUNK} ${b.startBytes} B (at start)` : '') +
        (b.chunks > 0 ? `  + ${b.chunks} chunk(s) loaded on demand, ${b.chunkBytes} B` : '') +
        (b.banner ? '  (createRequire banner: the bundle requires Node built-ins from CJS code)' : ''),
    );
  }
}

// Run only as a script: bench/bundles.ts imports buildOptions to build its SDK-only floor the same way.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main().catch((error) => {
    // esbuild's BuildFailure carries the individual errors; print each with its location.
    for (const e of error.errors ?? []) {
      const where = e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : '';
      console.error(`error: ${where}${e.text}`);
    }
    if (!error.errors) console.error(`error: ${error.message}`);
    process.exitCode = 1;
  });
