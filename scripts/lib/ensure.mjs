// Installs what `npm start` and `npm test` need on a fresh clone, or prints the exact command that is
// missing. Plain JavaScript with no dependencies: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: projectRoot, ...options });
  return result.status === 0;
}

/** `npm ci` when node_modules is missing or older than package-lock.json's dependencies. */
export function ensureNodeModules() {
  const markers = ['tsx', 'vitest', 'dynalite', '@middy/core', '@aws-sdk/client-ecr'].map((p) =>
    join(projectRoot, 'node_modules', p, 'package.json'),
  );
  if (markers.every(existsSync)) return;
  console.log('[setup] installing npm dependencies (npm ci)…');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) {
    console.error(`[setup] npm ci failed; run it yourself in ${projectRoot} and look at its error`);
    process.exit(1);
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let aptUpdated = false;

/**
 * Installs missing Debian packages when root; otherwise prints the exact command and exits.
 * A package marked `optional` is installed the same way when root, and only warned about otherwise.
 * @param {{ path: string, pkg: string, optional?: boolean }[]} needs a file each package provides, and the package
 */
export function ensureDebianPackages(needs) {
  let missing = needs.filter((n) => !existsSync(n.path)).map((n) => n.pkg);
  if (missing.length === 0) return;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    // An optional package only turns its tests off (they say so when they skip); the rest are needed.
    const optional = needs.filter((n) => n.optional && !existsSync(n.path)).map((n) => n.pkg);
    if (optional.length > 0)
      console.warn(
        `[setup] not installed: ${optional.join(', ')}; the tests that need it are skipped. Install with: sudo apt-get install -y ${optional.join(' ')}`,
      );
    missing = missing.filter((pkg) => !optional.includes(pkg));
    if (missing.length === 0) return;
    const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
    console.error(`[setup] missing: ${missing.join(', ')}. Install with:\n\n  sudo apt-get update && sudo ${command}\n`);
    process.exit(1);
  }
  console.log(`[setup] installing ${missing.join(', ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    run('apt-get', ['update', '-qq'], { env }); // a failing mirror must not stop an install that may still work
    aptUpdated = true;
  }
  if (!run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env })) {
    console.error(`[setup] apt-get failed; try: apt-get install -y --no-install-recommends ${missing.join(' ')}`);
    process.exit(1);
  }
}

export const REGISTRY = { path: '/usr/bin/docker-registry', pkg: 'docker-registry' };
/** Counts the instructions of the bundles' imports in the bench (bench/import-instructions.ts): without it, they are not counted. */
export const VALGRIND = { path: '/usr/bin/valgrind', pkg: 'valgrind', optional: true };
