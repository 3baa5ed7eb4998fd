// Packaged beside a bench function's index.mjs (with its compile cache) by `npm run bench:lambda`,
// and run as the handler once to learn whether Lambda's node accepts that cache: a cache it rejects
// is ignored without a word, and the bench would then time an import without one. It imports the
// function's module in a child node started with this process's flags and environment (the runtime's,
// NODE_COMPILE_CACHE included) and Node's compile-cache debug log on, and returns that log.
import { spawnSync } from 'node:child_process';

export async function handler() {
  const script = `await import(${JSON.stringify(new URL('./index.mjs', import.meta.url).href)});`;
  const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], {
    env: { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { node: process.version, status: child.status, log: `${child.stdout}${child.stderr}` };
}
