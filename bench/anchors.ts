import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The tools a user would otherwise run in a CI merge job, each turning per-arch tags into an index. */
export const AnchorTools = { docker: 'docker', buildah: 'buildah' } as const;
export type AnchorTool = (typeof AnchorTools)[keyof typeof AnchorTools];

/** Where an anchor reads the per-arch tags and writes the index: `host:port/repository` (a counting proxy). */
export interface AnchorTarget {
  readonly registryHost: string;
  readonly repository: string;
}

// Each tool keeps local state (docker: ~/.docker/manifests; buildah: containers-storage); a folder of
// their own per benchmark run keeps the user's home untouched.
const dockerConfig = mkdtempSync(join(tmpdir(), 'bench-docker-'));
const buildahRoot = mkdtempSync(join(tmpdir(), 'bench-buildah-'));
const buildah = (args: string[]) =>
  run('buildah', ['--root', join(buildahRoot, 'root'), '--runroot', join(buildahRoot, 'run'), '--storage-driver', 'vfs', ...args]);

/**
 * What the seed workflow ran by hand: `docker manifest create` + `annotate` + `push`, or the buildah
 * equivalent (`manifest create` + `add` per platform + `push`), from the per-arch tags to `targetTag`.
 * Resolves when the tool has put the index (its exit).
 */
export async function runAnchor(tool: AnchorTool, target: AnchorTarget, sourceTags: readonly string[], targetTag: string): Promise<void> {
  const ref = (tag: string) => `${target.registryHost}/${target.repository}:${tag}`;
  if (tool === 'docker') {
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    await run('docker', ['manifest', 'create', '--insecure', ref(targetTag), ...sourceTags.map(ref)], { env });
    // The step the seed needed for a cross-compiled image; kept so the anchor is the workflow users run.
    await run(
      'docker',
      ['manifest', 'annotate', ref(targetTag), ref(sourceTags[sourceTags.length - 1] ?? ''), '--os', 'linux', '--arch', 'arm64'],
      { env },
    );
    await run('docker', ['manifest', 'push', '--insecure', '--purge', ref(targetTag)], { env });
    return;
  }
  const list = `bench-${targetTag}-${process.pid}`;
  await buildah(['manifest', 'create', list]);
  try {
    for (const tag of sourceTags) await buildah(['manifest', 'add', '--tls-verify=false', list, `docker://${ref(tag)}`]);
    await buildah(['manifest', 'push', '--tls-verify=false', list, `docker://${ref(targetTag)}`]);
  } finally {
    await buildah(['manifest', 'rm', list]).catch(() => undefined);
  }
}

/** Whether both anchors can run here; the bench says which one it skipped and why. */
export async function anchorAvailable(tool: AnchorTool): Promise<string | undefined> {
  try {
    await run(tool, ['--version']);
    return undefined;
  } catch (error) {
    return `${tool} is not installed (${(error as Error).message.split('\n')[0]})`;
  }
}
