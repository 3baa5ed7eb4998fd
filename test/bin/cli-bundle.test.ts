import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CLI_BUNDLE = new URL('../../bin/cli-bundle.mjs', import.meta.url).href;

// A plain .mjs script without declarations: the parts the tests call, typed here.
const { ensureCliBundle, fingerprintSources } = (await import(CLI_BUNDLE)) as {
  ensureCliBundle(options?: { root: string; cacheDir: string }): Promise<{ dir: string; built: boolean }>;
  fingerprintSources(root: string): string;
};

/** A tree shaped like the project's: src/cli/main.ts exporting main, src/local/main.ts exporting startLocalStack. */
async function writeProject(root: string, answer: number): Promise<void> {
  await mkdir(join(root, 'src', 'cli'), { recursive: true });
  await mkdir(join(root, 'src', 'local'), { recursive: true });
  // As the project's: tsx reads .ts files as ES modules only in a "type": "module" package.
  await writeFile(join(root, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(root, 'src', 'cli', 'answer.ts'), `export const answer: number = ${answer};\n`);
  await writeFile(
    join(root, 'src', 'cli', 'main.ts'),
    "import { answer } from './answer.ts';\nexport async function main(argv: readonly string[]): Promise<number> {\n  return answer + argv.length;\n}\n",
  );
  await writeFile(
    join(root, 'src', 'local', 'main.ts'),
    "export async function startLocalStack(): Promise<string> {\n  return 'local stack';\n}\n",
  );
}

/** Runs an ES module snippet in a fresh node, as the bin would run; stdout and stderr are returned. */
function runNode(code: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', code],
      { env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

async function importMain(dir: string): Promise<(argv: readonly string[]) => Promise<number>> {
  // A query per import: the module cache must not hand back an earlier bundle of the same path.
  const module = (await import(`${pathToFileURL(join(dir, 'main.mjs')).href}?${Math.random()}`)) as {
    main: (argv: readonly string[]) => Promise<number>;
  };
  return module.main;
}

describe('bin/cli-bundle.mjs', { timeout: 60_000 }, () => {
  let root: string;
  let cacheDir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'build-cli-'));
    cacheDir = join(root, '.cache', 'cli');
    await writeProject(root, 40);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('ensureCliBundle', () => {
    it('builds the bundle on the first run and reuses it while nothing changes', async () => {
      const first = await ensureCliBundle({ root, cacheDir });
      expect(first.built).toBe(true);
      expect((await readdir(first.dir)).sort()).toEqual(['local.mjs', 'local.mjs.map', 'main.mjs', 'main.mjs.map']);
      expect(await (await importMain(first.dir))(['a', 'b'])).toBe(42);
      expect(await ensureCliBundle({ root, cacheDir })).toEqual({ dir: first.dir, built: false });
    });

    it('builds a new bundle when a source changes, and one for a file added or removed', async () => {
      const first = await ensureCliBundle({ root, cacheDir });
      await writeFile(join(root, 'src', 'cli', 'answer.ts'), 'export const answer: number = 7;\n');
      const second = await ensureCliBundle({ root, cacheDir });
      expect(second.built).toBe(true);
      expect(second.dir).not.toBe(first.dir);
      expect(await (await importMain(second.dir))([])).toBe(7);

      await writeFile(join(root, 'src', 'cli', 'unused.ts'), 'export {};\n');
      expect(fingerprintSources(root)).not.toBe(second.dir.split('/').at(-1));
      await rm(join(root, 'src', 'cli', 'unused.ts'));
      expect(fingerprintSources(root)).toBe(second.dir.split('/').at(-1));
    });

    it('ignores files that are not sources (an editor swap file)', async () => {
      const before = fingerprintSources(root);
      await writeFile(join(root, 'src', 'cli', '.main.ts.swp'), 'x');
      expect(fingerprintSources(root)).toBe(before);
    });

    it('gives concurrent first runs in separate processes one complete bundle', async () => {
      const code = `import { ensureCliBundle } from ${JSON.stringify(CLI_BUNDLE)};
        const { dir } = await ensureCliBundle({ root: ${JSON.stringify(root)}, cacheDir: ${JSON.stringify(cacheDir)} });
        const { main } = await import(new URL('file://' + dir + '/main.mjs').href);
        console.log(JSON.stringify({ dir, answer: await main(['x']) }));`;
      const runs = await Promise.all([1, 2, 3, 4].map(() => runNode(code)));
      for (const run of runs) expect(run).toMatchObject({ code: 0, stderr: '' });
      const answers = runs.map((run) => JSON.parse(run.stdout) as { dir: string; answer: number });
      expect(new Set(answers.map((a) => a.dir)).size).toBe(1);
      expect(answers.map((a) => a.answer)).toEqual([41, 41, 41, 41]);
      // No temporary folder is left behind, whichever run won the rename.
      expect(await readdir(cacheDir)).toEqual([answers[0]?.dir.split('/').at(-1)]);
    });
  });

  describe('loadCli', () => {
    const load = (options: string) => `import { loadCli } from ${JSON.stringify(CLI_BUNDLE)};
      const cli = await loadCli({ root: ${JSON.stringify(root)}, cacheDir: ${JSON.stringify(cacheDir)}, warn: (text) => console.log('WARN ' + text), ${options} });
      console.log(cli.from, await cli.main(['x']), cli.startLocalStack === undefined ? '-' : await cli.startLocalStack());`;

    it('runs the bundle, with the bundled local runner for start', async () => {
      expect(await runNode(load(''))).toEqual({ code: 0, stdout: 'bundle 41 local stack\n', stderr: '' });
    });

    it('runs from source through tsx, without a word, when esbuild is not installed', async () => {
      const missing =
        "loadEsbuild: async () => { throw Object.assign(new Error(\"Cannot find package 'esbuild' imported from x\"), { code: 'ERR_MODULE_NOT_FOUND' }); }";
      expect(await runNode(load(missing))).toEqual({ code: 0, stdout: 'source 41 -\n', stderr: '' });
    });

    it('says why, then runs from source, when the build fails', async () => {
      const failing =
        "loadEsbuild: async () => ({ build: async () => { throw Object.assign(new Error('Build failed'), { errors: [{ text: 'Unexpected \"}\"', location: { file: 'src/cli/main.ts', line: 3, column: 1 } }] }); } })";
      const result = await runNode(load(failing));
      expect(result).toEqual({
        code: 0,
        stdout:
          'WARN manifest-assembler: cannot bundle the CLI (src/cli/main.ts:3:1: Unexpected "}"); running it from source, which is slower\nsource 41 -\n',
        stderr: '',
      });
    });
  });

  describe("the project's bundle", () => {
    /** The packages a bundle file loads before its code runs: its static imports, followed through its chunks. */
    async function staticPackages(file: string, seen = new Set<string>()): Promise<Set<string>> {
      const packages = new Set<string>();
      if (seen.has(file)) return packages;
      seen.add(file);
      const text = await readFile(file, 'utf8');
      // Static imports only: `import … from "x"` and `import "x"` at the start of a line, not import("x").
      for (const [, specifier] of text.matchAll(/^(?:import\s[^;]*?from\s*|import\s*)"([^"]+)";/gms)) {
        if (specifier === undefined) continue;
        if (specifier.startsWith('.')) for (const name of await staticPackages(resolve(dirname(file), specifier), seen)) packages.add(name);
        else packages.add(specifier);
      }
      return packages;
    }

    it('loads zod only when an answer is read: --help and usage errors do without', async () => {
      const { dir } = await ensureCliBundle();
      const packages = await staticPackages(join(dir, 'main.mjs'));
      expect(packages).toContain('node:util');
      expect([...packages].filter((name) => name.startsWith('zod'))).toEqual([]);
      const chunks = await readdir(join(dir, 'chunks'));
      const readers = chunks.find((name) => name.startsWith('api-types-') && name.endsWith('.mjs'));
      expect(readers).toBeDefined();
      expect(await staticPackages(join(dir, 'chunks', readers ?? ''))).toContain('zod/mini');
    });
  });
});
