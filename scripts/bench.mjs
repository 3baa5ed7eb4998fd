// `npm run bench`: installs what is needed (as npm test does), then runs bench/run.ts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDebianPackages, ensureNodeModules, projectRoot, REGISTRY, VALGRIND } from './lib/ensure.mjs';

ensureNodeModules();
// Every run counts the bundles' import instructions (valgrind), the bundles-only one too.
ensureDebianPackages([VALGRIND]);
// BENCH_ONLY=bundles measures the Lambda bundles alone: no registry, no anchors to install.
if (process.env.BENCH_ONLY !== 'bundles') {
  // buildah is the second anchor the project is measured against (docker's client is the first).
  ensureDebianPackages([REGISTRY, { path: '/usr/bin/buildah', pkg: 'buildah' }]);
  const debs = spawnSync('bash', [join(projectRoot, 'scripts/fetch-test-debs.sh')], { stdio: 'inherit', cwd: projectRoot });
  if (debs.status !== 0) process.exit(1);
}
const run = spawnSync(join(projectRoot, 'node_modules/.bin/tsx'), [join(projectRoot, 'bench/run.ts')], {
  stdio: 'inherit',
  cwd: projectRoot,
  env: { ...process.env, NODE_NO_WARNINGS: '1' },
});
process.exit(run.status ?? 1);
