import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateFolder, loadOrCreateSecret } from '../src/local/secret-file.ts';
import { findFreePort } from '../test/support/registry-process.ts';

/** A runner's data folder for a bench, and where its registry is to send notifications. */
export interface RunnerDataDir {
  /** The fresh folder holding it (the caller removes it). */
  readonly work: string;
  readonly dataDir: string;
  /** The API port the runner is to listen on. */
  readonly apiPort: number;
  /** For startRegistry: the runner's webhook and the secret it expects (in `<dataDir>/registry-secret`). */
  readonly notifications: { readonly notificationUrl: string; readonly notificationSecret: string };
}

/**
 * Prepares the data folder the runner starts with, its registry secret written as the local stack
 * writes it (src/local/secret-file.ts), so a registry started first can notify the runner's webhook.
 */
export async function prepareRunnerDataDir(prefix: string): Promise<RunnerDataDir> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(work, 'data');
  await ensurePrivateFolder(dataDir);
  const notificationSecret = await loadOrCreateSecret(join(dataDir, 'registry-secret'));
  const apiPort = await findFreePort();
  return {
    work,
    dataDir,
    apiPort,
    notifications: { notificationUrl: `http://127.0.0.1:${apiPort}/v1/hooks/registry`, notificationSecret },
  };
}
