import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { foldStartChunks, START_CHUNK, settledExports, shortName } from '../../scripts/fold-start-chunks.mjs';

// The fold step of scripts/build.mjs on a small program shaped like a Lambda entry: a top-level
// await, modules shared between the cold path and modules imported on demand (which esbuild puts in
// chunks of their own), one of those imported during the top-level await. test/infra/
// folded-bundle.int.test.ts runs a real function bundle folded the same way.

const sources: Record<string, string> = {
  // Records the order modules are evaluated in, and is itself shared by everything.
  // `calls` is a binding reassigned after the module ran: its importers must read it live.
  'trace.ts':
    'export const trace: string[] = []; export const state = { count: 0 }; export let calls = 0; export function called() { calls += 1; }',
  'shared-a.ts': "import { trace } from './trace.ts'; trace.push('shared-a'); export const a = () => 'a';",
  'shared-b.ts':
    "import { trace, state } from './trace.ts'; import { a } from './shared-a.ts'; trace.push('shared-b'); export const b = () => `${a()}b${++state.count}`;",
  'lazy-at-init.ts':
    "import { trace } from './trace.ts'; import { b } from './shared-b.ts'; trace.push('lazy-at-init'); export const atInit = () => b();",
  'lazy-later.ts':
    "import { trace, state, calls, called } from './trace.ts'; import { a } from './shared-a.ts'; trace.push('lazy-later'); export const later = () => { called(); return `${a()}${state.count}${calls}`; };",
  'entry.ts': [
    "import { trace, state, calls, called } from './trace.ts';",
    "import { b } from './shared-b.ts';",
    'called();',
    "trace.push('entry');",
    "const { atInit } = await import('./lazy-at-init.ts');",
    'const fromInit = atInit();',
    'export const handler = async () => {',
    "  const { later } = await import('./lazy-later.ts');",
    '  return { trace: [...trace], fromInit, fromHandler: b(), later: later(), count: state.count, calls };',
    '};',
  ].join('\n'),
};

// scripts/build.mjs's banner for CJS code that requires Node built-ins (esbuild cannot import them).
const createRequireBanner =
  "import { createRequire as __maCreateRequire } from 'node:module'; const require = __maCreateRequire(import.meta.url);";

describe.each([
  ['plain ESM', false],
  ['with CJS code and the createRequire banner', true],
])('foldStartChunks (%s)', (_, cjs) => {
  let dir: string;
  let outdir: string;
  let before: Metafile;
  let after: Metafile;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fold-start-chunks-'));
    for (const [name, text] of Object.entries(sources)) await writeFile(join(dir, name), text);
    if (cjs) {
      // A CommonJS module shared by the cold path and a chunk loaded on demand, requiring a built-in.
      await writeFile(join(dir, 'eol.cjs'), "module.exports = { eol: require('node:os').EOL.length };");
      await writeFile(
        join(dir, 'shared-a.ts'),
        `import { eol } from './eol.cjs'; ${sources['shared-a.ts']?.replace("'a'", '`a${eol - 1}`')}`,
      );
    }
    outdir = join(dir, 'out');
    const options = {
      entryPoints: [join(dir, 'entry.ts')],
      outdir,
      entryNames: 'index',
      chunkNames: 'chunks/[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      splitting: true,
      bundle: true,
      format: 'esm' as const,
      platform: 'node' as const,
      target: 'node20',
      minify: true,
      metafile: true,
      absWorkingDir: dir,
      logLevel: 'silent' as const,
      ...(cjs ? { banner: { js: createRequireBanner } } : {}),
    };
    before = (await build(options)).metafile as Metafile;
    after = await foldStartChunks({ outdir, metafile: before, absWorkingDir: dir, options });
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const atStart = (metafile: Metafile) => {
    const seen = new Set<string>();
    for (const stack = ['out/index.mjs']; stack.length > 0; ) {
      const path = stack.pop() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      for (const i of metafile.outputs[path]?.imports ?? [])
        if (i.kind === 'import-statement' && i.path in metafile.outputs) stack.push(i.path);
    }
    return [...seen].sort();
  };

  it('starts from a build that esbuild split into several chunks loaded at start', () => {
    expect(atStart(before).length).toBeGreaterThan(2);
  });

  it('leaves a cold start two files, index.mjs and chunks/start.mjs, and describes them in the metafile', async () => {
    expect(atStart(after)).toEqual([`out/${START_CHUNK}`, 'out/index.mjs']);
    const files = (await readdir(join(outdir, 'chunks'))).map((f) => `out/chunks/${f}`);
    expect(Object.keys(after.outputs).sort()).toEqual(['out/index.mjs', ...files].sort());
    const index = await readFile(join(outdir, 'index.mjs'), 'utf8');
    const staticSpecs = [...index.matchAll(/(?:^|;)\s*import\s*(?:\{[^}]*\}\s*from\s*)?"(\.[^"]+)"/g)].map((m) => m[1]);
    expect(new Set(staticSpecs)).toEqual(new Set([`./${START_CHUNK}`]));
    // The sources of the folded chunks are now start.mjs's.
    const inputs = ['shared-b.ts', 'trace.ts', 'shared-a.ts', ...(cjs ? ['eol.cjs'] : [])];
    expect(Object.keys(after.outputs[`out/${START_CHUNK}`]?.inputs ?? {}).sort()).toEqual(inputs.sort());
  });

  it('runs as before: evaluation order kept, one instance of each shared module, an import during the top-level await settles', async () => {
    const script = `const { handler } = await import(${JSON.stringify(`file://${join(outdir, 'index.mjs')}`)}); console.log(JSON.stringify(await handler()));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({
      trace: ['shared-a', 'shared-b', 'entry', 'lazy-at-init', 'lazy-later'],
      // `eol - 1` is 0 on Linux: the same strings with the CJS module as without it.
      fromInit: cjs ? 'a0b1' : 'ab1',
      fromHandler: cjs ? 'a0b2' : 'ab2',
      // Called at init and by later(): the binding as it is now, in the chunk and in index.mjs.
      later: cjs ? 'a022' : 'a22',
      count: 2,
      calls: 2,
    });
  });
});

describe('settledExports (which exports start.mjs hands over in its array)', () => {
  it.each([
    [
      'a class, a function, a constant, an object',
      'class A{}function f(){}var c=1,o={n:0};o.n=2;export{A as a,f as b,c as c,o as d};',
      ['a', 'b', 'c', 'd'],
    ],
    ['a binding assigned later', 'var n=0;function f(){n=n+1}export{n as a,f as b};', ['b']],
    ['a binding updated with ++ or +=', 'var n=0,m=0;function f(){n++;m+=2}export{n as a,m as b,f as c};', ['c']],
    [
      'a binding assigned in a destructuring or a for-of head',
      'var x,y,z;function f(o){({x,k:[y]}=o);for(z of o.l);}export{x as a,y as b,z as c,f as d};',
      ['d'],
    ],
    [
      'a binding assigned in its declaration only (a var with no value, an enum-like IIFE)',
      'var e;(function(t){t.A="a"})(e||(e={}));export{e as a};',
      [],
    ],
    ['a name declared with a value twice (shadowed or redeclared)', 'var n=1;function f(){let n=2;return n}export{n as a,f as b};', ['b']],
    ['an imported binding passed on', 'import{x as y}from"./other.mjs";var c=1;export{y as a,c as b};', ['b']],
    ['a re-export from another module', 'var c=1;export{c as b};export{x as a}from"./other.mjs";', ['b']],
    ['every export of a chunk that calls eval directly', 'var c=1;function f(s){return eval(s)}export{c as a,f as b};', []],
  ])('%s', (_, code, settled) => {
    expect([...settledExports(code)].sort()).toEqual(settled);
  });
});

describe('shortName (the names start.mjs exports)', () => {
  const names = Array.from({ length: 4000 }, (_, n) => shortName(n) as string);

  it('gives distinct identifiers, none of them a keyword', () => {
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((name) => !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name))).toEqual([]);
    expect(names.filter((name) => ['do', 'if', 'in', 'default'].includes(name))).toEqual([]);
  });

  it('gives the shortest first: 54 of one character, then two up to the 3,507th', () => {
    expect(names.slice(0, 3)).toEqual(['a', 'b', 'c']);
    expect(names.findIndex((name) => name.length > 1)).toBe(54);
    expect(names.findIndex((name) => name.length > 2)).toBe(54 + 54 * 64 - 3);
  });
});
