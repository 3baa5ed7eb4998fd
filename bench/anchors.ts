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
const buildahGlobalOptions = ['--root', join(buildahRoot, 'root'), '--runroot', join(buildahRoot, 'run'), '--storage-driver', 'vfs'];

// Each merge job is one `sh` script, its commands forked by the shell, as a CI step runs them (a
// `run:` step is one bash). Spawned one by one from the load generator instead, each command cost
// 5–8 ms more here: libuv forks the whole node process (~100 MiB), and on this VM a page fault
// costs 10–14 µs. References and names are passed as arguments, never spliced into the script.
const DOCKER_MERGE_JOB = `set -e
target=$1; shift
for last do :; done
docker manifest create --insecure "$target" "$@" >/dev/null
# The step the seed needed for a cross-compiled image; kept so the anchor is the workflow users run.
docker manifest annotate "$target" "$last" --os linux --arch arm64
docker manifest push --insecure --purge "$target" >/dev/null`;

const BUILDAH_MERGE_JOB = `set -ef
list=$1; target=$2; shift 2
buildah "$@" manifest create "$list" >/dev/null
trap 'buildah "$@" manifest rm "$list" >/dev/null 2>&1 || true' EXIT
for source in $SOURCES; do buildah "$@" manifest add --tls-verify=false "$list" "docker://$source" >/dev/null; done
buildah "$@" manifest push --tls-verify=false "$list" "docker://$target" >/dev/null`;

/**
 * What the seed workflow ran by hand: `docker manifest create` + `annotate` + `push`, or the buildah
 * equivalent (`manifest create` + `add` per platform + `push`), from the per-arch tags to `targetTag`.
 * Resolves when the tool has put the index (the script's exit).
 */
export async function runAnchor(tool: AnchorTool, target: AnchorTarget, sourceTags: readonly string[], targetTag: string): Promise<void> {
  const ref = (tag: string) => `${target.registryHost}/${target.repository}:${tag}`;
  if (tool === 'docker') {
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    await run('sh', ['-c', DOCKER_MERGE_JOB, 'docker-merge-job', ref(targetTag), ...sourceTags.map(ref)], { env });
    return;
  }
  const list = `bench-${targetTag}-${process.pid}`;
  // The sources travel in SOURCES (references hold no spaces; `set -f` keeps the shell from globbing
  // them), so that "$@" is buildah's global options.
  await run('sh', ['-c', BUILDAH_MERGE_JOB, 'buildah-merge-job', list, ref(targetTag), ...buildahGlobalOptions], {
    env: { ...process.env, SOURCES: sourceTags.map(ref).join(' ') },
  });
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
