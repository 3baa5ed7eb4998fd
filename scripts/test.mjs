// `npm test`: installs what the tests need (npm packages; the registry, skopeo and the busybox .debs,
// and chromium and valgrind, with apt when root), checks lint and format (biome ci), type-checks, runs every test,
// and ends with one plain summary line. With arguments (`npm test -- test/core`), only vitest runs.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackages, ensureNodeModules, projectRoot, REGISTRY, VALGRIND } from './lib/ensure.mjs';

ensureNodeModules();
ensureDebianPackages([
  REGISTRY,
  { path: '/usr/bin/skopeo', pkg: 'skopeo' },
  { path: '/usr/bin/qemu-aarch64-static', pkg: 'qemu-user-static' },
  { path: '/usr/bin/openssl', pkg: 'openssl' },
  // The dashboard's browser test drives Debian's chromium (never a browser a driver downloads).
  { path: '/usr/bin/chromium', pkg: 'chromium', optional: true },
  // The bench counts the bundles' import instructions with valgrind; its test runs one count.
  VALGRIND,
]);
const debs = spawnSync('bash', [join(projectRoot, 'scripts/fetch-test-debs.sh')], { stdio: 'inherit', cwd: projectRoot });
if (debs.status !== 0) {
  console.error('[test] could not fetch the busybox-static .debs the image tests build from (see above)');
  process.exit(1);
}

const bin = (name) => join(projectRoot, 'node_modules', '.bin', name);
const extra = process.argv.slice(2);
// Lint and format (biome.jsonc) run first but do not stop the run: a misplaced space should not hide
// the test results. Their verdict joins the summary line and the exit status.
let biomeFailed = false;
if (extra.length === 0) {
  console.log('[test] lint and format check (biome ci)…');
  const biome = spawnSync(bin('biome'), ['ci', '--error-on-warnings', '.'], { stdio: 'inherit', cwd: projectRoot });
  biomeFailed = biome.status !== 0;
  if (biomeFailed) {
    console.error('[test] biome ci failed: run `npx biome check --write` (or `npm run format`) and fix what it still reports');
  }
  console.log('[test] type-checking (tsc --noEmit)…');
  const tsc = spawnSync(bin('tsc'), ['--noEmit'], { stdio: 'inherit', cwd: projectRoot });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  // The dashboard page is browser code (DOM types), checked with its own tsconfig.
  const page = spawnSync(bin('tsc'), ['--noEmit', '-p', 'src/dashboard/page/tsconfig.json'], { stdio: 'inherit', cwd: projectRoot });
  if (page.status !== 0) process.exit(page.status ?? 1);
}

const report = join(projectRoot, '.cache', 'vitest-report.json');
rmSync(report, { force: true });
const env = { ...process.env, NODE_NO_WARNINGS: '1' };
const vitest = spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra], {
  stdio: 'inherit',
  cwd: projectRoot,
  env,
});
try {
  const result = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = result.numPendingTests + result.numTodoTests;
  const lint = biomeFailed ? '; biome ci FAILED (npx biome check --write)' : '';
  console.log(`\ntests: ${result.numPassedTests} passed, ${result.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}${lint}`);
} catch {
  console.log('\n[test] vitest wrote no report; see its output above');
  if (biomeFailed) console.log('[test] biome ci failed too: run `npx biome check --write`');
}
process.exit(vitest.status === 0 ? (biomeFailed ? 1 : 0) : (vitest.status ?? 1));
