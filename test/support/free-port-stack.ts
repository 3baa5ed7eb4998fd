import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '../../src/local/main.ts';
import { findFreePort } from './registry-process.ts';

/**
 * A whole local stack (registry, dynalite, API) on free ports with its own data folder, quiet and
 * without the reconcile timer; `stop` also removes the folder.
 */
export async function startStackOnFreePorts(name: string): Promise<{ stack: LocalStack; stop: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), `${name}-`));
  const registryPort = await findFreePort();
  let apiPort = await findFreePort();
  while (apiPort === registryPort) apiPort = await findFreePort();
  const stack = await startLocalStack({
    env: { REGISTRY_PORT: String(registryPort), API_PORT: String(apiPort), DATA_DIR: dataDir, LOG_LEVEL: 'warn', RECONCILE_INTERVAL: '0' },
    standalone: false,
    print: () => undefined,
  });
  return {
    stack,
    stop: async () => {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
