import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../../src/adapters/dynamodb/dynamodb-table.ts';
import { type DynaliteProcess, DynaliteProcessError, startDynaliteProcess } from '../../../src/local/dynalite/dynalite-process.ts';
import { makeDynamoClient } from '../../support/dynamodb.ts';
import { eventually } from '../../support/eventually.ts';
import { isProcessAlive } from '../../support/runner-process.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const TableName = 'lifecycle';
const key = (sk: string) => ({ pk: { S: 'repo#team/app' }, sk: { S: sk } });

/** Writes one item through `endpoint` and reads it back: the child answers the DynamoDB API. */
async function writeAndRead(endpoint: string, sk: string): Promise<string | undefined> {
  const client = makeDynamoClient(endpoint);
  try {
    await ensureTable(client, TableName);
    await client.send(new PutItemCommand({ TableName, Item: key(sk) }));
    return (await client.send(new GetItemCommand({ TableName, Key: key(sk), ConsistentRead: true }))).Item?.sk?.S;
  } finally {
    client.destroy();
  }
}

async function readBack(endpoint: string, sk: string): Promise<string | undefined> {
  const client = makeDynamoClient(endpoint);
  try {
    return (await client.send(new GetItemCommand({ TableName, Key: key(sk), ConsistentRead: true }))).Item?.sk?.S;
  } finally {
    client.destroy();
  }
}

const commandLine = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');

describe('startDynaliteProcess', () => {
  let dataDir: string;
  const started: DynaliteProcess[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dynalite-process-'));
  });

  afterEach(async () => {
    for (const dynalite of started.splice(0)) await dynalite.stop().catch(() => undefined);
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('when started on a folder', () => {
    it('runs dynalite in a child process with the runner node flags, on the port it reported, and answers the DynamoDB API', async () => {
      const dynalite = await startDynaliteProcess(join(dataDir, 'answer'));
      started.push(dynalite);
      expect(dynalite.pid).not.toBe(process.pid);
      expect(await isProcessAlive(dynalite.pid)).toBe(true);
      const args = await commandLine(dynalite.pid);
      expect(args).toContain('--max-semi-space-size=1');
      expect(args.some((arg) => arg.endsWith('dynalite-child.ts'))).toBe(true);
      expect(dynalite.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await writeAndRead(dynalite.endpoint, 'a')).toBe('a');
    });
  });

  describe('when stopped', () => {
    it('exits cleanly (SIGTERM, exit code 0), and a new one on the same folder finds the data', async () => {
      const folder = join(dataDir, 'restart');
      const first = await startDynaliteProcess(folder);
      expect(await writeAndRead(first.endpoint, 'kept')).toBe('kept');
      await first.stop();
      expect(await first.exited).toBe('exit code 0');
      expect(await isProcessAlive(first.pid)).toBe(false);
      await first.stop(); // twice is harmless

      const second = await startDynaliteProcess(folder);
      started.push(second);
      expect(await readBack(second.endpoint, 'kept')).toBe('kept');
    });
  });

  describe('when its parent is killed with SIGKILL', () => {
    it('exits on its own, releasing the LevelDB folder for the next start', async () => {
      const folder = join(dataDir, 'orphan');
      const parent = spawn(
        process.execPath,
        ['--import', createRequire(import.meta.url).resolve('tsx'), 'test/support/dynalite-parent.ts', folder],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const exited = once(parent, 'exit');
      let line = '';
      parent.stdout.setEncoding('utf8');
      parent.stdout.on('data', (chunk: string) => (line += chunk));
      const [childPid, endpoint] = await eventually(async () => {
        const [pid, url] = line.trim().split(' ');
        return url === undefined ? undefined : [Number(pid), url];
      }, 'the parent to report its dynalite child');
      expect(await writeAndRead(endpoint as string, 'before-kill')).toBe('before-kill');

      parent.kill('SIGKILL');
      await exited;
      await eventually(async () => ((await isProcessAlive(childPid as number)) ? undefined : true), 'the orphaned child to exit');

      const next = await startDynaliteProcess(folder);
      started.push(next);
      expect(await readBack(next.endpoint, 'before-kill')).toBe('before-kill');
    });
  });

  describe('when the child dies while running', () => {
    it('settles exited with the signal', async () => {
      const dynalite = await startDynaliteProcess(join(dataDir, 'crash'));
      started.push(dynalite);
      process.kill(dynalite.pid, 'SIGKILL');
      expect(await dynalite.exited).toBe('signal SIGKILL');
      await expect(dynalite.stop()).rejects.toThrow(/dynalite \(child process\) stopped with signal SIGKILL/);
    });
  });

  describe('when the child cannot open its folder', () => {
    it('fails with an error naming dynalite and carrying the child stderr', async () => {
      const notAFolder = join(dataDir, 'a-file');
      await writeFile(notAFolder, 'not a LevelDB folder');
      const failure = startDynaliteProcess(notAFolder);
      await expect(failure).rejects.toBeInstanceOf(DynaliteProcessError);
      await expect(failure).rejects.toThrow(
        /^dynalite \(child process\) did not start: it exited \(exit code 1\) before listening:\n.*dynalite-child: cannot start on .*a-file/s,
      );
    });
  });
});
