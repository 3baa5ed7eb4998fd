// Folds the chunks a Lambda bundle's index.mjs imports statically into one chunk, chunks/start.mjs.
//
// Why: esbuild's code splitting puts every module shared between the cold path and a module
// imported on demand into a chunk of its own, so a cold start links 9-16 files where one would do,
// and each file costs Node's ESM loader (resolve, read, compile, link) about 0.5 ms of CPU
// (docs/performance.md, "Lambda bundles"). After the fold a cold start reads two files: index.mjs
// (the entry's own code) and chunks/start.mjs (everything it imports statically); the chunks
// loaded on demand import what they share with the cold path from chunks/start.mjs.
//
// Why not into index.mjs itself: the entry awaits at its top level (dependenciesFromEnv), and a
// chunk it imports on demand meanwhile (the OCI-HTTP adapter) would then import index.mjs while it
// is still being evaluated: a cycle through a pending top-level await, which never settles.
//
// How: esbuild does both steps, nothing is parsed here. (1) A virtual entry re-exports every export
// of the folded chunks under a name of its own (their minified names collide), in the order index.mjs imports them, so that the modules are evaluated in the order
// they were; esbuild bundles it into chunks/start.mjs with every other output file external.
// (2) index.mjs and every chunk that imported a folded chunk are rebundled with each import of a
// folded chunk served by a shim that re-exports the chunk's names from chunks/start.mjs, everything
// else external. The metafile is rewritten to describe the files as they are now (the tests and the
// bench read which sources a cold start loads from it).

import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

export const START_CHUNK = 'chunks/start.mjs';

/**
 * @param {{ outdir: string, metafile: import('esbuild').Metafile, absWorkingDir: string, options: import('esbuild').BuildOptions }} args
 *   outdir: the function's output folder (index.mjs, chunks/); metafile: esbuild's, paths relative
 *   to absWorkingDir; options: the first build's options (target, minify, banner...).
 * @returns {Promise<import('esbuild').Metafile>} the metafile of the folded output.
 */
export async function foldStartChunks({ outdir, metafile, absWorkingDir, options }) {
  const abs = (path) => resolve(absWorkingDir, path);
  const rel = (path) => relative(absWorkingDir, path).split('\\').join('/');
  const outputs = metafile.outputs;
  const entryKey = Object.keys(outputs).find((path) => abs(path) === join(outdir, 'index.mjs'));
  if (entryKey === undefined) throw new Error(`no index.mjs among the outputs of ${outdir}`);

  // The chunks a cold start loads, in the order index.mjs imports them (then theirs, depth first).
  const folded = [];
  const visit = (path) => {
    for (const imported of outputs[path]?.imports ?? []) {
      if (imported.kind !== 'import-statement' || !(imported.path in outputs) || folded.includes(imported.path)) continue;
      folded.push(imported.path);
      visit(imported.path);
    }
  };
  visit(entryKey);
  if (folded.length === 0) return metafile;
  const foldedAbs = new Set(folded.map(abs));
  // The folded chunks' exports renamed apart (each chunk's minified names start at `a`), as short
  // as possible (`_0`, `_1`, ... in base 36: these names are in every import of start.mjs).
  const aliases = new Map();
  for (const path of folded)
    for (const name of outputs[path]?.exports ?? []) aliases.set(`${abs(path)}\n${name}`, `_${aliases.size.toString(36)}`);
  const alias = (chunk, name) => aliases.get(`${chunk}\n${name}`);
  const startFile = join(outdir, START_CHUNK);
  const shared = {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: options.target,
    minify: options.minify,
    legalComments: options.legalComments,
    logLevel: 'silent',
    write: false,
    metafile: true,
    absWorkingDir,
  };
  // Every import that is not a folded chunk stays as written: Node built-ins, the chunks loaded on
  // demand (which keep their paths, so the relative paths between the files hold).
  const keepOthersExternal = {
    name: 'keep-others-external',
    setup(builder) {
      builder.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const target = args.path.startsWith('.') ? resolve(args.resolveDir, args.path) : undefined;
        if (target !== undefined && foldedAbs.has(target)) return undefined; // bundled into start.mjs (1)
        return { path: args.path, external: true };
      });
    },
  };

  // (1) chunks/start.mjs
  const reexports = folded
    .map((path) => {
      const names = outputs[path]?.exports ?? [];
      const spec = JSON.stringify(`./${relative(dirname(startFile), abs(path)).split('\\').join('/')}`);
      return names.length === 0
        ? `import ${spec};`
        : `export { ${names.map((name) => `${name} as ${alias(abs(path), name)}`).join(', ')} } from ${spec};`;
    })
    .join('\n');
  const start = await build({
    ...shared,
    stdin: { contents: reexports, resolveDir: dirname(startFile), sourcefile: 'fold-entry.js', loader: 'js' },
    // No banner: the folded chunks carry the first build's (createRequire) already, each its own.
    outfile: startFile,
    plugins: [keepOthersExternal],
  });

  // (2) index.mjs and the chunks that import a folded chunk, their imports of folded chunks shimmed.
  const importers = Object.keys(outputs).filter(
    (path) =>
      !foldedAbs.has(abs(path)) &&
      path.endsWith('.mjs') &&
      (outputs[path]?.imports ?? []).some((imported) => foldedAbs.has(abs(imported.path))),
  );
  const shim = {
    name: 'shim-folded-chunks',
    setup(builder) {
      builder.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point' || !args.path.startsWith('.') || args.namespace === 'folded') return undefined;
        const target = resolve(args.resolveDir, args.path);
        if (!foldedAbs.has(target)) return undefined;
        // One shim per chunk and importing folder (index.mjs's, chunks/), so that its path to
        // chunks/start.mjs is right for its importer: the folder is part of the shim's path.
        return { path: `${target}\n${args.resolveDir}`, namespace: 'folded' };
      });
      builder.onLoad({ filter: /.*/, namespace: 'folded' }, (args) => {
        const [chunk, from] = args.path.split('\n');
        let spec = relative(from, startFile).split('\\').join('/');
        if (!spec.startsWith('.')) spec = `./${spec}`;
        const names = outputs[rel(chunk)]?.exports ?? [];
        const contents =
          names.length === 0
            ? `import ${JSON.stringify(spec)};`
            : `export { ${names.map((name) => `${alias(chunk, name)} as ${name}`).join(', ')} } from ${JSON.stringify(spec)};`;
        return { contents, loader: 'js', resolveDir: from };
      });
      builder.onResolve({ filter: /.*/, namespace: 'folded' }, (args) => ({ path: args.path, external: true }));
    },
  };
  const rebuilt = await build({
    ...shared,
    entryPoints: importers.map(abs),
    outdir,
    outbase: outdir,
    outExtension: { '.js': '.mjs' },
    allowOverwrite: true,
    plugins: [shim, keepOthersExternal],
  });

  // Write, then remove the folded chunks.
  for (const file of [...start.outputFiles, ...rebuilt.outputFiles]) await writeFile(file.path, file.contents);
  for (const path of folded) await rm(abs(path));

  // The metafile as the files are now: start.mjs holds the folded chunks' inputs; an import of a
  // folded chunk is an import of start.mjs; sizes are the new files'.
  const startKey = rel(startFile);
  const rewriteImports = (imports) => {
    const out = [];
    for (const imported of imports) {
      const path = foldedAbs.has(abs(imported.path)) ? startKey : imported.path;
      if (path === startKey && out.some((i) => i.path === startKey && i.kind === imported.kind)) continue;
      out.push({ ...imported, path });
    }
    return out;
  };
  const sizeOf = async (key) => (await readFile(abs(key))).length;
  const newOutputs = {};
  for (const [key, output] of Object.entries(outputs)) {
    if (foldedAbs.has(abs(key))) continue;
    newOutputs[key] = { ...output, imports: rewriteImports(output.imports), bytes: await sizeOf(key) };
  }
  const startInputs = {};
  for (const path of folded) Object.assign(startInputs, outputs[path]?.inputs ?? {});
  newOutputs[startKey] = {
    imports: rewriteImports(folded.flatMap((path) => outputs[path]?.imports ?? [])).filter((i) => i.path !== startKey),
    exports: folded.flatMap((path) => (outputs[path]?.exports ?? []).map((name) => alias(abs(path), name))),
    inputs: startInputs,
    bytes: await sizeOf(startKey),
  };
  return { inputs: metafile.inputs, outputs: newOutputs };
}
