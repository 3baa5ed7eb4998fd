import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { type Zippable, zipSync } from 'fflate';

/** A deployment package's files: the path inside the package (`/`-separated) → the bytes. */
export type PackageFiles = ReadonlyMap<string, Uint8Array>;

/** Every file under `dir`, keyed by its path relative to `dir` (with `/`), each under `prefix` when given. */
export function filesUnder(dir: string, prefix = ''): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(`${prefix}${relative(dir, path).split(sep).join('/')}`, readFileSync(path));
  }
  return files;
}

// Lambda extracts the package as its own user, not as the file's owner, so every file must be
// readable by others; a zip carries Unix modes only in the upper half of its external attributes,
// with the "made by" system set to Unix (3).
const READABLE_FILE = 0o100644;
const UNIX = 3;
// A fixed time (zip's clock starts in 1980), so that the same files make the same package.
const FIXED_TIME = new Date('2000-01-01T00:00:00Z');

/** Whether a `/`-separated path is relative and cannot climb out of the folder it is taken in. */
export function isInsideFolder(path: string): boolean {
  return !path.startsWith('/') && !path.split('/').includes('..');
}

/** A zip of `files` as Lambda's `Code.ZipFile` takes it: deflated, sorted, world-readable, reproducible. */
export function zipPackage(files: PackageFiles): Uint8Array {
  const entries: Zippable = {};
  for (const path of [...files.keys()].sort()) {
    if (!isInsideFolder(path)) throw new Error(`a package path must be relative and stay inside: ${path}`);
    entries[path] = [files.get(path) as Uint8Array, { level: 9, mtime: FIXED_TIME, os: UNIX, attrs: (READABLE_FILE << 16) >>> 0 }];
  }
  return zipSync(entries);
}
