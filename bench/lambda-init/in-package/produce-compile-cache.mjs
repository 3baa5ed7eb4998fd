// Packaged beside a bench function's index.mjs by `npm run bench:lambda` (bench/lambda-init), and
// run as the handler once, on Lambda itself, with NODE_COMPILE_CACHE=/tmp/…: it imports the
// function's module as the runtime would, writes Node's compile cache of everything loaded so far
// (the runtime's own modules included) and returns the files, base64, relative to the cache folder.
// Only Lambda's own node, flags, CPU and user make a cache that Lambda's node accepts, which is why
// it is produced there and not on the machine that runs the bench.
import { readdirSync, readFileSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { join, relative } from 'node:path';

export async function handler() {
  const dir = process.env.NODE_COMPILE_CACHE;
  if (dir === undefined || dir === '') throw new Error('NODE_COMPILE_CACHE is not set: there is no compile cache to return');
  await import('./index.mjs');
  flushCompileCache();
  const files = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path)] = readFileSync(path).toString('base64');
  }
  return { node: process.version, files };
}
