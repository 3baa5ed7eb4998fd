import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The architectures test images are built for, by their OCI name. */
export const TestArches = { amd64: 'amd64', arm64: 'arm64', arm: 'arm' } as const;
export type TestArch = (typeof TestArches)[keyof typeof TestArches];

/** Debian's name for each architecture. */
const DEBIAN_ARCH: Record<TestArch, string> = { amd64: 'amd64', arm64: 'arm64', arm: 'armhf' };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEBS_DIR = join(ROOT, '.cache', 'debs');
/** Extracted binaries, named after their .deb: unpacking the xz data takes ~0.5 s per arch and process. */
const BINARIES_DIR = join(ROOT, '.cache', 'busybox');
const FETCH_SCRIPT = join(ROOT, 'scripts', 'fetch-test-debs.sh');

const binaries = new Map<TestArch, Uint8Array>();

/**
 * The statically linked busybox binary for an architecture, from Debian's `busybox-static` .deb in
 * .cache/debs. When a .deb is missing, runs scripts/fetch-test-debs.sh once (idempotent: it only
 * downloads what is missing) and fails naming that script when it cannot.
 */
export function readBusybox(arch: TestArch): Uint8Array {
  const cached = binaries.get(arch);
  if (cached !== undefined) return cached;
  const deb = findDeb(arch) ?? fetchDebs(arch);
  const extracted = join(BINARIES_DIR, `${basename(deb, '.deb')}.busybox`);
  let binary: Uint8Array;
  try {
    binary = new Uint8Array(readFileSync(extracted));
  } catch {
    binary = extractBusybox(deb);
    mkdirSync(BINARIES_DIR, { recursive: true });
    // Test files run in parallel processes: write aside, then rename, so no one reads half a file.
    const partial = `${extracted}.${process.pid}.tmp`;
    writeFileSync(partial, binary);
    renameSync(partial, extracted);
  }
  binaries.set(arch, binary);
  return binary;
}

function extractBusybox(deb: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'busybox-'));
  try {
    execFileSync('dpkg-deb', ['-x', deb, dir]);
    return new Uint8Array(readFileSync(join(dir, 'bin', 'busybox')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function findDeb(arch: TestArch): string | undefined {
  const suffix = `_${DEBIAN_ARCH[arch]}.deb`;
  let names: string[];
  try {
    names = readdirSync(DEBS_DIR);
  } catch {
    return undefined;
  }
  const name = names.find((n) => n.startsWith('busybox-static_') && n.endsWith(suffix));
  return name === undefined ? undefined : join(DEBS_DIR, name);
}

function fetchDebs(arch: TestArch): string {
  try {
    execFileSync('bash', [FETCH_SCRIPT], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(
      `busybox-static for ${DEBIAN_ARCH[arch]} is not in ${DEBS_DIR} and fetching it failed; run: bash scripts/fetch-test-debs.sh`,
      {
        cause: error,
      },
    );
  }
  const deb = findDeb(arch);
  if (deb === undefined)
    throw new Error(`busybox-static for ${DEBIAN_ARCH[arch]} is still not in ${DEBS_DIR}; run: bash scripts/fetch-test-debs.sh`);
  return deb;
}
