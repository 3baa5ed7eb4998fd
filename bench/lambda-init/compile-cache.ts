import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isInsideFolder, type PackageFiles } from './function-package.ts';

// Lambda's node takes a compile cache only from a node of the same version, V8 flags, CPU and user
// (the cache folder is named for all four, `v22.x.y-arm64-<V8 tag>-<uid>`), so the bench produces each
// function's cache on Lambda (in-package/produce-compile-cache.mjs), packages it beside the code, and
// checks that Lambda accepts it (in-package/check-compile-cache.mjs) before it times anything with it.

/** Where Lambda puts the package; a cache entry is keyed by the module's absolute path under it. */
export const TASK_ROOT = '/var/task';
/** Where the producer has node write the cache: /tmp is the only folder a function can write. */
export const PRODUCED_CACHE_DIR = '/tmp/node-compile-cache';
/** Where the cache goes in the package of the function timed with it (read-only there: node only reads it). */
export const PACKAGED_CACHE_DIR = 'node-compile-cache';

export const PRODUCER_HANDLER = 'produce-compile-cache.handler';
export const CHECK_HANDLER = 'check-compile-cache.handler';

/** The two handler files every bench package carries beside the function's own files. */
export function compileCacheHandlerFiles(): Map<string, Uint8Array> {
  const dir = join(import.meta.dirname, 'in-package');
  return new Map(
    ['produce-compile-cache.mjs', 'check-compile-cache.mjs'].map((name) => [name, readFileSync(join(dir, name))] as [string, Uint8Array]),
  );
}

const producedSchema = z.object({ node: z.string(), files: z.record(z.string(), z.string()) });

/** What the producer returned, checked: the node that made the cache and its files, under {@link PACKAGED_CACHE_DIR}/. */
export function packagedCacheFiles(produced: unknown): { node: string; files: PackageFiles } {
  const parsed = producedSchema.safeParse(produced);
  if (!parsed.success)
    throw new Error(`the compile-cache producer returned ${JSON.stringify(produced)?.slice(0, 300)}: ${parsed.error.message}`);
  const files = new Map<string, Uint8Array>();
  for (const [path, base64] of Object.entries(parsed.data.files)) {
    if (!isInsideFolder(path)) throw new Error(`the compile-cache producer returned a path outside its folder: ${path}`);
    files.set(`${PACKAGED_CACHE_DIR}/${path}`, Buffer.from(base64, 'base64'));
  }
  if (files.size === 0)
    throw new Error(`the compile-cache producer (node ${parsed.data.node}) returned no files: is its node older than 22.1?`);
  return { node: parsed.data.node, files };
}

const ACCEPTED = /^\[compile cache\] cache for (\S+) was accepted/gm;

/** The module URLs that Node's compile-cache debug log (`NODE_DEBUG_NATIVE=COMPILE_CACHE`) says it took from the cache. */
export function acceptedModules(debugLog: string): Set<string> {
  return new Set([...debugLog.matchAll(ACCEPTED)].map((match) => match[1] as string));
}

/**
 * Which of `startFiles` (paths in the package, as loaded at a cold start) Lambda's node did not take
 * from the cache, by the check's log: empty when the cache serves the whole cold start.
 */
export function modulesNotFromCache(debugLog: string, startFiles: readonly string[], taskRoot = TASK_ROOT): string[] {
  const accepted = acceptedModules(debugLog);
  return startFiles.filter((file) => !accepted.has(`file://${taskRoot}/${file}`));
}
