// `npm start`: the local stack (docs/local.md), installing what it needs first, then the same path as
// `manifest-assembler start` (the bin: a cached esbuild bundle of the CLI, so start-up is fast).
import { ensureDebianPackages, ensureNodeModules, REGISTRY } from './lib/ensure.mjs';

ensureNodeModules();
ensureDebianPackages([REGISTRY]);
process.argv = [process.argv[0], 'manifest-assembler', 'start'];
await import('../bin/manifest-assembler.mjs');
