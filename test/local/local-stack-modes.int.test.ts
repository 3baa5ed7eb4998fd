import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/local/main.ts';
import { freeRunnerPorts } from '../support/runner-process.ts';

const mode = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8);

describe('startLocalStack on a data folder made by hand, another tool, or an older version with wide modes', () => {
  let dataDir: string;
  let stack: LocalStack | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-stack-modes-'));
    for (const folder of ['dynamodb', 'registry', 'registry/data']) await mkdir(join(dataDir, folder), { recursive: true });
    for (const folder of ['', 'dynamodb', 'registry', 'registry/data']) await chmod(join(dataDir, folder), 0o755);
    for (const file of ['api-token', 'registry-secret']) await writeFile(join(dataDir, file), 'an-old-secret-kept-across-versions\n');
    await writeFile(join(dataDir, 'registry', 'config.yml'), 'version: 0.1\n');
    await writeFile(join(dataDir, 'registry', 'registry.log'), 'old line\n');
    for (const file of ['api-token', 'registry-secret', 'registry/config.yml', 'registry/registry.log'])
      await chmod(join(dataDir, file), 0o644);
    stack = await startLocalStack({
      env: { ...(await freeRunnerPorts()), DATA_DIR: dataDir, LOG_LEVEL: 'warn', RECONCILE_INTERVAL: '0' },
      standalone: false,
      print: () => undefined,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each(['', 'dynamodb', 'registry', 'registry/data'])('narrows the folder %j to 0700', async (folder) => {
    expect(await mode(join(dataDir, folder))).toBe('700');
  });

  it.each(['api-token', 'registry-secret', 'registry/config.yml', 'registry/registry.log', 'registry/registry.pid'])(
    'keeps %s owner-only (0600)',
    async (file) => {
      expect(await mode(join(dataDir, file))).toBe('600');
    },
  );

  it('keeps the secrets it found', () => {
    expect(stack?.token).toBe('an-old-secret-kept-across-versions');
  });
});
