import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');

/** What `osls package` wrote for one stage. */
export interface PackagedStage {
  /** The folder holding the zips and templates. */
  readonly dir: string;
  readonly template: Record<string, any>;
  /** serverless-state.json: the resolved service, including each function's package artifact. */
  readonly state: Record<string, any>;
}

/** A throwaway copy of the project, built and packaged. */
export interface PackagedProject {
  readonly root: string;
  /** stdout of `node scripts/build.mjs`. */
  readonly buildOutput: string;
  readonly stages: Record<string, PackagedStage>;
  remove(): Promise<void>;
}

/** One `osls package` run: its output folder name and extra CLI arguments. */
export interface PackageRun {
  readonly name: string;
  readonly args: readonly string[];
}

// What the build and osls read. The copy keeps the tests off the working tree's dist/ and
// .serverless/, which other people may be building at the same time.
const copied = [
  'serverless.yml',
  'infra',
  'scripts/build.mjs',
  'scripts/fold-start-chunks.mjs',
  'functions',
  'src',
  'package.json',
  'tsconfig.json',
];

/**
 * Copies the project to a temporary folder (node_modules linked), runs `node scripts/build.mjs`, then
 * `osls package` once per run, into `.serverless-<name>`. No AWS credentials are used or needed.
 */
export async function packageProject(runs: readonly PackageRun[]): Promise<PackagedProject> {
  const root = await mkdtemp(join(tmpdir(), 'manifest-assembler-infra-'));
  try {
    for (const path of copied) await cp(join(repoRoot, path), join(root, path), { recursive: true });
    await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
    const env = { ...process.env, NODE_NO_WARNINGS: '1' };
    const build = await run(process.execPath, ['scripts/build.mjs'], { cwd: root, env });
    const stages: Record<string, PackagedStage> = {};
    for (const { name, args } of runs) {
      const dir = join(root, `.serverless-${name}`);
      const osls = join(repoRoot, 'node_modules/osls/bin/serverless.js');
      await run(process.execPath, [osls, 'package', '--package', dir, ...args], { cwd: root, env }).catch((error) => {
        throw new Error(`osls package ${args.join(' ')} failed:\n${error.stdout}\n${error.stderr}`);
      });
      const readJson = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8'));
      stages[name] = {
        dir,
        template: await readJson('cloudformation-template-update-stack.json'),
        state: await readJson('serverless-state.json'),
      };
    }
    return { root, buildOutput: build.stdout, stages, remove: () => rm(root, { recursive: true, force: true }) };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
