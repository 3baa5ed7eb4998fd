import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';

/**
 * Files and folders of the data folder that only their owner may read. `mode` in writeFile and
 * mkdir applies only when the call creates the file or folder: one that already existed (from an
 * older version, a copy, a umask of 0022) keeps its wider mode. So every helper here narrows on
 * every call, not only on creation.
 */

/** Owner-only mode of a file holding a secret. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner-only mode of a folder of the data folder. */
export const PRIVATE_FOLDER_MODE = 0o700;

/**
 * Writes `content` to `path`, owner-only (0600) even when the file existed with a wider mode. The
 * mode is narrowed on the open descriptor before the content is written.
 */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  const file = await open(path, 'w', PRIVATE_FILE_MODE);
  try {
    await file.chmod(PRIVATE_FILE_MODE);
    await file.writeFile(content);
  } finally {
    await file.close();
  }
}

/** Narrows an existing file to 0600 (a log that may carry request details); a missing one is fine. */
export async function narrowFile(path: string): Promise<void> {
  try {
    await chmod(path, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Creates `path` (and its parents) if needed and narrows it to 0700. A parent outside the data
 * folder is created but not narrowed: it may be shared.
 */
export async function ensurePrivateFolder(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  await chmod(path, PRIVATE_FOLDER_MODE);
}

/**
 * Returns the secret kept in `path`, creating it (32 random bytes, base64url, mode 0600) on first
 * use so a restart keeps the token users and the registry config already hold. An existing file is
 * narrowed to 0600; an empty one is refilled.
 */
export async function loadOrCreateSecret(path: string): Promise<string> {
  const existing = await readSecret(path);
  if (existing !== undefined && existing !== '') {
    await chmod(path, PRIVATE_FILE_MODE);
    return existing;
  }
  const secret = createSecret();
  if (existing === '') {
    await writeSecretFile(path, `${secret}\n`);
    return secret;
  }
  try {
    // 'wx' fails if another process created it meanwhile; theirs wins so both agree.
    await writeFile(path, `${secret}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readSecret(path);
    if (theirs === undefined || theirs === '') throw new Error(`${path} appeared empty while it was being created; start again`);
    return theirs;
  }
  return secret;
}

/**
 * 32 random bytes as base64url, drawn again while the text starts with `-`: a secret is passed on
 * command lines (`--token <secret>`), and an argument parser reads a leading dash as an option
 * (node:util refused one in 64 tokens as "ambiguous"). Redrawing keeps the full 256 bits.
 */
export function createSecret(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const secret = random(32).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

async function readSecret(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
