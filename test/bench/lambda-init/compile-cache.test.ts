import { describe, expect, it } from 'vitest';
import { acceptedModules, modulesNotFromCache, packagedCacheFiles } from '../../../bench/lambda-init/compile-cache.ts';

// Lines as Node 22.23's `NODE_DEBUG_NATIVE=COMPILE_CACHE` writes them (seen importing a bench bundle).
const LOG = [
  '[compile cache] resolved path /var/task/node-compile-cache + v22.23.5-arm64-159ae863-993 -> /var/task/node-compile-cache/v22.23.5-arm64-159ae863-993',
  '[compile cache] reading cache from /var/task/node-compile-cache/v22.23.5-arm64-159ae863-993/cef13e53 for ESM file:///var/task/index.mjs...[2329926578 87015 154440 653530111 1913498311]... success, size=1544',
  '[compile cache] cache for file:///var/task/index.mjs was accepted, keeping the in-memory entry',
  '[compile cache] reading cache from /var/task/node-compile-cache/v22.23.5-arm64-159ae863-993/f11aadf6 for ESM file:///var/task/chunks/start.mjs...code size mismatch: expected 61, actual 215296',
  '[compile cache] cache for file:///var/task/chunks/start.mjs was not initialized, initializing the in-memory entry',
].join('\n');

describe('acceptedModules', () => {
  it('lists the modules the log says were taken from the cache, and no other', () => {
    expect([...acceptedModules(LOG)]).toEqual(['file:///var/task/index.mjs']);
  });
});

describe('modulesNotFromCache', () => {
  it('names each start file the cache did not serve', () => {
    expect(modulesNotFromCache(LOG, ['index.mjs', 'chunks/start.mjs'])).toEqual(['chunks/start.mjs']);
  });

  it('is empty when every start file was served', () => {
    const both = `${LOG}\n[compile cache] cache for file:///var/task/chunks/start.mjs was accepted, keeping the in-memory entry`;
    expect(modulesNotFromCache(both, ['index.mjs', 'chunks/start.mjs'])).toEqual([]);
  });

  it('names them all for a log without the cache (a node that did not read one)', () => {
    expect(modulesNotFromCache('', ['index.mjs', 'chunks/start.mjs'])).toEqual(['index.mjs', 'chunks/start.mjs']);
  });
});

describe('packagedCacheFiles', () => {
  it('puts each returned file under node-compile-cache/, decoded', () => {
    const produced = { node: 'v22.23.5', files: { 'v22.23.5-arm64-159ae863-993/cef13e53': Buffer.from('cache').toString('base64') } };
    const { node, files } = packagedCacheFiles(produced);
    expect(node).toBe('v22.23.5');
    expect([...files].map(([path, bytes]) => [path, Buffer.from(bytes).toString()])).toEqual([
      ['node-compile-cache/v22.23.5-arm64-159ae863-993/cef13e53', 'cache'],
    ]);
  });

  it.each([
    { name: 'an error payload', produced: { errorMessage: 'boom' }, error: /producer returned .*errorMessage/ },
    { name: 'files that are not base64 strings', produced: { node: 'v22', files: { a: 1 } }, error: /producer returned/ },
    {
      name: 'a path out of the cache folder',
      produced: { node: 'v22', files: { '../index.mjs': '' } },
      error: /outside its folder: \.\.\/index\.mjs/,
    },
    { name: 'an absolute path', produced: { node: 'v22', files: { '/var/task/index.mjs': '' } }, error: /outside its folder/ },
    {
      name: 'no files (a node without the compile cache)',
      produced: { node: 'v20.19.0', files: {} },
      error: /node v20\.19\.0\) returned no files/,
    },
  ])('refuses $name', ({ produced, error }) => {
    expect(() => packagedCacheFiles(produced)).toThrow(error);
  });
});
