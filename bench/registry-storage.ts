import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A folder for the benchmark registry's storage, on tmpfs (/dev/shm) where the machine has one.
 *
 * The registry creates about ten files per push (upload folders, data, link files). On this VM's
 * root filesystem (ext4 without a journal), each creation scans for inodes freed in the last
 * minute, so a burst's pushes cost the registry 0.3 s of kernel time on tmpfs and 1.0 to 3.8 s on
 * the disk, depending on how much the machine deleted just before (perf: `recently_deleted` under
 * `ext4_create`). That cost belongs to neither manifest-assembler nor the anchors, which all work
 * against this one registry; on tmpfs it stops drowning the figures in noise. The runner's own data
 * folder (its journal and dynalite's files) stays on the disk, as `npm start` keeps it.
 */
export function benchRegistryDataDir(): { readonly dir: string; readonly remove: () => void } {
  const parent = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(parent, 'ma-bench-registry-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
