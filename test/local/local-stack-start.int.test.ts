import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../src/core/ports.ts';
import { readLocalSettings } from '../../src/local/local-settings.ts';
import { type StackEndpoints, type StackHandlers, startLocalStackWith } from '../../src/local/local-stack.ts';
import { assertPortFree, PortInUseError } from '../../src/local/ports.ts';
import { RegistryStartError } from '../../src/local/registry/registry-process.ts';
import { findFreePort } from '../support/registry-process.ts';
import { isProcessAlive } from '../support/runner-process.ts';

// The start-up paths of the local stack with fake handlers: dynalite (a child process) and node:http are real,
// the registry is either missing, a stand-in that fails, or the user's own (REGISTRY_URL).

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function fakeWire(seen: StackEndpoints[]): (endpoints: StackEndpoints) => StackHandlers {
  return (endpoints) => {
    seen.push(endpoints);
    return {
      onImagePush: async () => undefined,
      api: async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }),
    };
  };
}

describe('startLocalStackWith', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-stack-start-'));
    env = { REGISTRY_PORT: String(await findFreePort()), API_PORT: String(await findFreePort()), DATA_DIR: join(dir, 'data') };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when docker-registry is not installed', () => {
    it('fails with the exact apt-get command and starts nothing', async () => {
      const seen: StackEndpoints[] = [];
      const attempt = startLocalStackWith({
        settings: readLocalSettings(env, dir),
        logger: silent,
        wire: fakeWire(seen),
        print: () => undefined,
        cwd: dir,
        registryBinary: join(dir, 'no-such-docker-registry'),
      });
      await expect(attempt).rejects.toThrow('sudo apt-get install -y --no-install-recommends docker-registry');
      expect(seen).toHaveLength(0);
    });
  });

  async function fakeRegistry(stderrLine: string): Promise<string> {
    const fake = join(dir, 'fake-registry');
    await writeFile(fake, `#!/bin/sh\necho "${stderrLine}" >&2\nexit 1\n`);
    await chmod(fake, 0o755);
    return fake;
  }

  describe('when the registry exits before answering', () => {
    it('fails with the end of its log and stops dynalite and the HTTP server again', async () => {
      const fake = await fakeRegistry('configuration error: bad storage driver');
      const seen: StackEndpoints[] = [];
      const attempt = startLocalStackWith({
        settings: readLocalSettings(env, dir),
        logger: silent,
        wire: fakeWire(seen),
        print: () => undefined,
        cwd: dir,
        registryBinary: fake,
      });
      await expect(attempt).rejects.toBeInstanceOf(RegistryStartError);
      await expect(attempt).rejects.toThrow(/exited \(exit code 1\) before answering[\s\S]*bad storage driver/);
      expect(seen).toHaveLength(1);
      await expect(assertPortFree(Number(env.API_PORT), 'api', 'API_PORT')).resolves.toBeUndefined();
      const dynamoPort = Number(new URL(seen[0]?.dynamoEndpoint ?? '').port);
      await expect(assertPortFree(dynamoPort, 'dynalite', 'none')).resolves.toBeUndefined();
    });
  });

  describe('when the registry finds its port taken after the check', () => {
    it('fails naming the port and REGISTRY_PORT', async () => {
      const fake = await fakeRegistry(`listen tcp 127.0.0.1:${env.REGISTRY_PORT}: bind: address already in use`);
      const attempt = startLocalStackWith({
        settings: readLocalSettings(env, dir),
        logger: silent,
        wire: fakeWire([]),
        print: () => undefined,
        cwd: dir,
        registryBinary: fake,
      });
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(attempt).rejects.toThrow(
        `port ${env.REGISTRY_PORT} on 127.0.0.1 (registry) is already in use; stop what holds it or set REGISTRY_PORT to a free port`,
      );
    });
  });

  describe('when REGISTRY_URL names the user’s own registry', () => {
    it('starts no registry, points the handlers at it and prints how to configure its notifications', async () => {
      const seen: StackEndpoints[] = [];
      const printed: string[] = [];
      const stack = await startLocalStackWith({
        settings: readLocalSettings({ ...env, REGISTRY_URL: 'http://127.0.0.1:5999' }, dir),
        logger: silent,
        wire: fakeWire(seen),
        print: (text) => printed.push(text),
        cwd: dir,
        registryBinary: join(dir, 'no-such-docker-registry'),
      });
      try {
        expect(stack.registryPid).toBeUndefined();
        expect(seen[0]?.registryUrl).toBe('http://127.0.0.1:5999');
        const text = printed.join('');
        expect(text).toContain(`url: http://127.0.0.1:${env.API_PORT}/v1/hooks/registry`);
        expect(text).toContain('<the contents of data/registry-secret>');
        expect((await fetch(`${stack.apiUrl}/v1/health`)).status).toBe(200);
      } finally {
        await stack.stop();
      }
      await expect(assertPortFree(Number(env.API_PORT), 'api', 'API_PORT')).resolves.toBeUndefined();
    });
  });

  it('calls onRegistryExit when the registry dies on its own, and not when stopped', async () => {
    const exits: string[] = [];
    const lines: string[] = [];
    const logger: Logger = { ...silent, error: (message: string, _fields?: LogFields) => lines.push(message) };
    const stack = await startLocalStackWith({
      settings: readLocalSettings(env, dir),
      logger,
      wire: fakeWire([]),
      print: () => undefined,
      cwd: dir,
      onRegistryExit: (how) => exits.push(how),
    });
    try {
      process.kill(stack.registryPid ?? -1, 'SIGKILL');
      for (let i = 0; i < 200 && exits.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(exits).toEqual(['SIGKILL']);
      expect(lines.some((line) => line.includes('docker-registry exited on its own'))).toBe(true);
    } finally {
      await stack.stop();
    }
    expect(exits).toHaveLength(1);
  });

  describe('dynalite, a child process of the stack', () => {
    it('is stopped with the stack (nothing left running), and onDynaliteExit is not called', async () => {
      const exits: string[] = [];
      const stack = await startLocalStackWith({
        settings: readLocalSettings({ ...env, REGISTRY_URL: 'http://127.0.0.1:1' }, dir),
        logger: silent,
        wire: fakeWire([]),
        print: () => undefined,
        cwd: dir,
        onDynaliteExit: (how) => exits.push(how),
      });
      expect(stack.dynalitePid).not.toBe(process.pid);
      expect(await isProcessAlive(stack.dynalitePid)).toBe(true);
      await stack.stop();
      expect(await isProcessAlive(stack.dynalitePid)).toBe(false);
      expect(exits).toEqual([]);
    });

    it('calls onDynaliteExit and logs an error naming dynalite when it dies on its own', async () => {
      const exits: string[] = [];
      const lines: string[] = [];
      const logger: Logger = { ...silent, error: (message: string, _fields?: LogFields) => lines.push(message) };
      const stack = await startLocalStackWith({
        settings: readLocalSettings({ ...env, REGISTRY_URL: 'http://127.0.0.1:1' }, dir),
        logger,
        wire: fakeWire([]),
        print: () => undefined,
        cwd: dir,
        onDynaliteExit: (how) => exits.push(how),
      });
      try {
        process.kill(stack.dynalitePid, 'SIGKILL');
        for (let i = 0; i < 200 && exits.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
        expect(exits).toEqual(['signal SIGKILL']);
        expect(lines).toContain(`local stack: dynalite (pid ${stack.dynalitePid}) exited on its own (signal SIGKILL)`);
      } finally {
        await stack.stop();
      }
      expect(exits).toHaveLength(1);
    });
  });
});
