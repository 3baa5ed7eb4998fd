import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { type AnchorTool, AnchorTools, anchorAvailable, runAnchor } from '../../bench/anchors.ts';
import { pushImage } from '../support/images.ts';

// The bench's anchors (bench/anchors.ts) run as the users' merge jobs would: one sh script per
// version. Against the real registry, each must leave under the version tag an index of the two
// per-arch images; a script that quoted a reference wrongly or stopped early would leave none.

const registryUrl = inject('registryUrl');
const registryHost = new URL(registryUrl).host;

interface IndexDocument {
  manifests: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

async function readIndex(repository: string, tag: string): Promise<IndexDocument> {
  const answer = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' },
  });
  if (!answer.ok) throw new Error(`GET ${repository}:${tag} answered ${answer.status}`);
  return (await answer.json()) as IndexDocument;
}

describe.each(Object.values(AnchorTools))('the %s anchor', (tool: AnchorTool) => {
  it('publishes the index of both per-arch tags under the version tag', async (context) => {
    const missing = await anchorAvailable(tool);
    // buildah comes with the bench's install (scripts/bench.mjs), not the tests'; docker's client is on the base machine.
    if (missing !== undefined) context.skip(missing);
    const repository = `bench-anchor/${tool}-${randomUUID().slice(0, 8)}`;
    const amd64 = await pushImage(registryUrl, repository, '2.7-amd64', { arch: 'amd64', format: 'oci' });
    const arm64 = await pushImage(registryUrl, repository, '2.7-arm64', { arch: 'arm64', format: 'oci' });

    await runAnchor(tool, { registryHost, repository }, ['2.7-amd64', '2.7-arm64'], '2.7');

    const index = await readIndex(repository, '2.7');
    expect(index.manifests.map((m) => [m.digest, m.platform?.os, m.platform?.architecture])).toEqual([
      [amd64.digest, 'linux', 'amd64'],
      [arm64.digest, 'linux', 'arm64'],
    ]);
  });
});
