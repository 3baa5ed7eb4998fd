import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';

/**
 * Returns the secret kept in `path`, creating it (32 random bytes, base64url, mode 0600) on first
 * use so a restart keeps the token users and the registry config already hold. A file readable by
 * others is narrowed to 0600; an empty one is refilled.
 */
export async function loadOrCreateSecret(path: string): Promise<string> {
  const existing = await readSecret(path);
  if (existing !== undefined && existing !== '') {
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    return existing;
  }
  const secret = randomBytes(32).toString('base64url');
  try {
    // 'wx' fails if another process created it meanwhile; theirs wins so both agree.
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: existing === '' ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readSecret(path);
    if (theirs === undefined || theirs === '') throw new Error(`${path} appeared empty while it was being created; start again`);
    return theirs;
  }
  return secret;
}

async function readSecret(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
