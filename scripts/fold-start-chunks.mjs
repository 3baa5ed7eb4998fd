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
// Why one exported array: each name a module exports or imports is a module variable, and V8 finds
// one by a linear search of the module's list, for every variable a function compiled at init does
// not declare itself (a global such as `Object` searches the whole list). With ~260 names
// exported by start.mjs and imported by index.mjs that search was ~4.7 M instructions of an
// on-image-push cold start (docs/performance.md, "The fold"). So what start.mjs hands over is one
// array, `a`, and each importer reads the slots it uses into locals once: `var x=a[0],y=a[5]`. Only
// a binding that may change after start.mjs ran (assigned anywhere, or imported and passed on:
// settledExports) stays an export of its own, read live as before.
//
// How: esbuild does both steps; only the folded chunks' exports are parsed here (settledExports).
// (1) A virtual entry imports every settled export of the folded chunks and exports them as the
// array, and re-exports the others under names of their own (their minified names collide), in the
// order index.mjs imports them, so that the modules are evaluated in the order they were; esbuild
// bundles it into chunks/start.mjs with every other output file external. (2) index.mjs and every
// chunk that imported a folded chunk are rebundled with each import of a folded chunk served by a
// shim that reads the chunk's names from chunks/start.mjs (a slot each, in a module of its own
// without side effects, so that an importer holds only the slots it uses), everything else
// external. The metafile is rewritten to describe the files as they are now (the tests and the
// bench read which sources a cold start loads from it).

import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { build, transform } from 'esbuild';
import ts from 'typescript';

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
  // Each export of a folded chunk is either a slot of start.mjs's one exported array, SNAPSHOT (a
  // binding nothing assigns after the chunk ran), or, when it may be reassigned later, an export of
  // start.mjs of its own, renamed apart (each chunk's minified names start at `a`), as short as
  // possible: such a name is written twice for each file that imports it (in start.mjs's export list
  // and in the importer's import list).
  const slots = new Map();
  const aliases = new Map();
  for (const path of folded) {
    const settled = settledExports(await readFile(abs(path), 'utf8'));
    for (const name of outputs[path]?.exports ?? []) {
      const key = `${abs(path)}\n${name}`;
      if (settled.has(name)) slots.set(key, slots.size);
      else aliases.set(key, shortName(aliases.size + 1)); // shortName(0) is SNAPSHOT
    }
  }
  const alias = (chunk, name) => aliases.get(`${chunk}\n${name}`);
  const slot = (chunk, name) => slots.get(`${chunk}\n${name}`);
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
  const snapshot = [];
  const reexports = folded
    .map((path) => {
      const names = outputs[path]?.exports ?? [];
      const spec = JSON.stringify(`./${relative(dirname(startFile), abs(path)).split('\\').join('/')}`);
      const inSlots = names.filter((name) => slot(abs(path), name) !== undefined);
      const live = names.filter((name) => slot(abs(path), name) === undefined);
      for (const name of inSlots) snapshot[slot(abs(path), name)] = `slot${slot(abs(path), name)}`;
      const statements = [];
      if (names.length === 0) statements.push(`import ${spec};`);
      if (inSlots.length > 0)
        statements.push(`import { ${inSlots.map((name) => `${name} as slot${slot(abs(path), name)}`).join(', ')} } from ${spec};`);
      if (live.length > 0)
        statements.push(`export { ${live.map((name) => `${name} as ${alias(abs(path), name)}`).join(', ')} } from ${spec};`);
      return statements.join('\n');
    })
    .concat(`export const ${SNAPSHOT} = [${snapshot.join(', ')}];`)
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
  const startSpec = (from) => {
    const spec = relative(from, startFile).split('\\').join('/');
    return spec.startsWith('.') ? spec : `./${spec}`;
  };
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
        const spec = JSON.stringify(startSpec(from));
        const names = outputs[rel(chunk)]?.exports ?? [];
        const live = names.filter((name) => slot(chunk, name) === undefined);
        const contents = [
          names.length === 0 ? `import ${spec};` : '',
          live.length === 0 ? '' : `export { ${live.map((name) => `${alias(chunk, name)} as ${name}`).join(', ')} } from ${spec};`,
          ...names
            .filter((name) => slot(chunk, name) !== undefined)
            .map((name) => `export { value as ${name} } from ${JSON.stringify(`${SLOT_PREFIX}${slot(chunk, name)}`)};`),
        ].join('\n');
        return { contents, loader: 'js', resolveDir: from };
      });
      // One module per slot, without side effects, so that an importer holds only the slots it reads.
      builder.onResolve({ filter: /.*/, namespace: 'folded' }, (args) =>
        args.path.startsWith(SLOT_PREFIX)
          ? { path: `${args.path.slice(SLOT_PREFIX.length)}\n${args.resolveDir}`, namespace: 'folded-slot', sideEffects: false }
          : { path: args.path, external: true },
      );
      builder.onLoad({ filter: /.*/, namespace: 'folded-slot' }, (args) => {
        const [index, from] = args.path.split('\n');
        return {
          contents: `import { slots } from ${JSON.stringify(SLOTS)};\nexport const value = slots[${index}];`,
          loader: 'js',
          resolveDir: from,
        };
      });
      // The array itself, one module per importing folder: the importer then imports it once.
      builder.onResolve({ filter: /.*/, namespace: 'folded-slot' }, (args) => ({
        path: args.resolveDir,
        namespace: 'folded-slots',
        sideEffects: false,
      }));
      builder.onLoad({ filter: /.*/, namespace: 'folded-slots' }, (args) => ({
        contents: `export { ${SNAPSHOT} as slots } from ${JSON.stringify(startSpec(args.path))};`,
        loader: 'js',
        resolveDir: args.path,
      }));
      builder.onResolve({ filter: /.*/, namespace: 'folded-slots' }, (args) => ({ path: args.path, external: true }));
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

  // Write, then remove the folded chunks. An importer's slots are read one module each, so esbuild
  // writes `var x=s[0];var y=s[1];...`: minified once more, they are one declaration (-0.6 KB for
  // on-image-push's index.mjs).
  for (const file of start.outputFiles) await writeFile(file.path, file.contents);
  for (const file of rebuilt.outputFiles) {
    const once = await transform(file.text, {
      format: 'esm',
      target: options.target,
      minify: options.minify,
      legalComments: options.legalComments,
    });
    await writeFile(file.path, once.code);
  }
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
    exports: [
      SNAPSHOT,
      ...folded.flatMap((path) =>
        (outputs[path]?.exports ?? []).map((name) => alias(abs(path), name)).filter((name) => name !== undefined),
      ),
    ],
    inputs: startInputs,
    bytes: await sizeOf(startKey),
  };
  return { inputs: metafile.inputs, outputs: newOutputs };
}

/** The name of start.mjs's array of the bindings nothing reassigns (shortName(0)). */
const SNAPSHOT = 'a';
const SLOT_PREFIX = 'folded-slot:';
const SLOTS = 'folded-slots';

/**
 * The export names of a chunk (esbuild's output: ESM, minified) whose binding holds, once the chunk
 * has run, the value it will always hold: a local that nothing assigns and that is declared with a
 * value once (a class, a function, a constant, an object, whose properties may still change: the
 * object stays the same). Read by name in every scope, so a shadowing local of the same name that is
 * assigned counts too (that only costs a slot). Not these: an imported binding passed on, a local
 * that anything assigns, any export in a form other than `export { local as name }`, and every
 * export of a chunk that calls `eval` directly (which could assign anything).
 */
export function settledExports(code) {
  const file = ts.createSourceFile('chunk.mjs', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const imported = new Set();
  const exported = new Map(); // export name -> local name
  const assigned = new Set();
  const declared = new Map();
  let directEval = false;
  const target = (node) => {
    if (ts.isIdentifier(node)) assigned.add(node.text);
    else if (ts.isParenthesizedExpression(node) || ts.isSpreadElement(node) || ts.isSpreadAssignment(node)) target(node.expression);
    else if (ts.isArrayLiteralExpression(node)) for (const element of node.elements) target(element);
    else if (ts.isObjectLiteralExpression(node)) for (const property of node.properties) target(property);
    else if (ts.isPropertyAssignment(node)) target(node.initializer);
    else if (ts.isShorthandPropertyAssignment(node)) assigned.add(node.name.text);
    else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) target(node.left);
  };
  const visit = (node) => {
    if (ts.isBinaryExpression(node) && isAssignment(node.operatorToken.kind)) target(node.left);
    else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && isUpdate(node.operator)) target(node.operand);
    else if ((ts.isForInStatement(node) || ts.isForOfStatement(node)) && !ts.isVariableDeclarationList(node.initializer))
      target(node.initializer);
    else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined)
      declared.set(node.name.text, (declared.get(node.name.text) ?? 0) + 1);
    else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'eval') directEval = true;
    ts.forEachChild(node, visit);
  };
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) imported.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) imported.add(bindings.name.text);
      else if (bindings) for (const element of bindings.elements) imported.add(element.name.text);
    } else if (
      ts.isExportDeclaration(statement) &&
      !statement.moduleSpecifier &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const element of statement.exportClause.elements) exported.set(element.name.text, (element.propertyName ?? element.name).text);
    }
    visit(statement);
  }
  const settled = new Set();
  if (directEval) return settled;
  for (const [name, local] of exported)
    if (!imported.has(local) && !assigned.has(local) && (declared.get(local) ?? 0) <= 1) settled.add(name);
  return settled;
}

function isAssignment(kind) {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

function isUpdate(operator) {
  return operator === ts.SyntaxKind.PlusPlusToken || operator === ts.SyntaxKind.MinusMinusToken;
}

const FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
const NEXT = `${FIRST}0123456789`;
// Valid as export names, but kept out so that no tool reading the output trips over a keyword.
const KEYWORDS = new Set(['do', 'if', 'in']);

/** The `n`th shortest identifier that is not a keyword: `a` ... `$`, then `aa`, `ba` ... (54 of one character, 3,456 of two). */
export function shortName(n) {
  for (let i = 0, found = -1; ; i++) {
    let name = FIRST[i % FIRST.length];
    for (let rest = Math.floor(i / FIRST.length); rest > 0; rest = Math.floor((rest - 1) / NEXT.length))
      name += NEXT[(rest - 1) % NEXT.length];
    if (!KEYWORDS.has(name) && ++found === n) return name;
  }
}
