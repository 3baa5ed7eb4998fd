// `npm start`: the local stack (DESIGN §8), installing what it needs first.
import { ensureDebianPackages, ensureNodeModules, REGISTRY } from './lib/ensure.mjs';

ensureNodeModules();
ensureDebianPackages([REGISTRY]);
const { register } = await import('tsx/esm/api');
register();
const { startLocalStack } = await import('../src/local/main.ts');
await startLocalStack();
