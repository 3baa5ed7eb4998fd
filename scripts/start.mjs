// `npm start`: the local stack (DESIGN §8), installing what it needs first.
import { ensureDebianPackages, ensureNodeModules, REGISTRY } from './lib/ensure.mjs';

// The AWS SDK warns on Node 20 that releases after January 2027 will need Node 22; the SDK is pinned,
// and Lambda runs nodejs22.x, so the warning is noise here. Other warnings are still printed.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeVersionSupportWarning') console.warn(`${warning.name}: ${warning.message}`);
});

ensureNodeModules();
ensureDebianPackages([REGISTRY]);
const { register } = await import('tsx/esm/api');
register();
const { startLocalStack } = await import('../src/local/main.ts');
await startLocalStack();
