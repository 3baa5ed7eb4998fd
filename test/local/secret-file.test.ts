import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecret, ensurePrivateFolder, loadOrCreateSecret, narrowFile, writeSecretFile } from '../../src/local/secret-file.ts';

describe('loadOrCreateSecret', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when the file does not exist', () => {
    it('creates it with 32 random bytes in base64url, readable by the owner only', async () => {
      const path = join(dir, 'api-token');
      const secret = await loadOrCreateSecret(path);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await readFile(path, 'utf8')).trim()).toBe(secret);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    });

    it('gives different secrets for different files', async () => {
      expect(await loadOrCreateSecret(join(dir, 'a'))).not.toBe(await loadOrCreateSecret(join(dir, 'b')));
    });

    it('gives one secret to concurrent callers', async () => {
      const path = join(dir, 'raced');
      const secrets = await Promise.all([loadOrCreateSecret(path), loadOrCreateSecret(path), loadOrCreateSecret(path)]);
      expect(new Set(secrets).size).toBe(1);
    });
  });

  describe('when the file exists', () => {
    it('returns its content, so a restart keeps the token', async () => {
      const path = join(dir, 'api-token');
      const first = await loadOrCreateSecret(path);
      expect(await loadOrCreateSecret(path)).toBe(first);
    });

    it('narrows a file others can read to 0600', async () => {
      const path = join(dir, 'api-token');
      await writeFile(path, 'kept-as-is\n');
      await chmod(path, 0o644);
      expect(await loadOrCreateSecret(path)).toBe('kept-as-is');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    });

    it('refills an empty file', async () => {
      const path = join(dir, 'api-token');
      await writeFile(path, '\n', { mode: 0o600 });
      const secret = await loadOrCreateSecret(path);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await readFile(path, 'utf8')).trim()).toBe(secret);
    });

    it('narrows an empty file others can read when it refills it', async () => {
      const path = join(dir, 'api-token');
      await writeFile(path, '');
      await chmod(path, 0o644);
      await loadOrCreateSecret(path);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    });
  });
});

describe('writeSecretFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['does not exist', undefined],
    ['exists with mode 0644', 0o644],
    ['exists with mode 0666', 0o666],
    ['exists with mode 0600', 0o600],
  ])('leaves a file that %s owner-only (0600) with the new content', async (_, mode) => {
    const path = join(dir, 'config.yml');
    if (mode !== undefined) {
      await writeFile(path, 'old: secret\n');
      await chmod(path, mode);
    }
    await writeSecretFile(path, 'new: secret\n');
    expect(await readFile(path, 'utf8')).toBe('new: secret\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});

describe('narrowFile', () => {
  it('narrows an existing file to 0600 and accepts a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secret-file-'));
    try {
      const path = join(dir, 'registry.log');
      await narrowFile(path);
      await writeFile(path, 'line\n');
      await chmod(path, 0o644);
      await narrowFile(path);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ensurePrivateFolder', () => {
  it('creates a missing folder, and narrows an existing one, to 0700', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secret-file-'));
    try {
      const created = join(dir, 'a', 'b');
      await ensurePrivateFolder(created);
      expect((await stat(created)).mode & 0o777).toBe(0o700);
      const existing = join(dir, 'existing');
      await mkdir(existing, { mode: 0o755 });
      await chmod(existing, 0o755);
      await ensurePrivateFolder(existing);
      expect((await stat(existing)).mode & 0o777).toBe(0o700);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createSecret', () => {
  it('draws again while the secret starts with a dash, so `--token <secret>` always parses', () => {
    // The first draw encodes to "-…" (0xf8 → "-" in base64url), the second does not.
    const draws = [Buffer.alloc(32, 0xf8), Buffer.alloc(32, 0x01)];
    let calls = 0;
    const secret = createSecret(() => draws[calls++] as Buffer);
    expect(calls).toBe(2);
    expect(secret).toBe(Buffer.alloc(32, 0x01).toString('base64url'));
    expect(Buffer.alloc(32, 0xf8).toString('base64url').startsWith('-')).toBe(true);
  });

  it('never starts with a dash over many draws', () => {
    for (let i = 0; i < 2_000; i++) expect(createSecret().startsWith('-')).toBe(false);
  });
});
