import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/core/index-builder.ts';
import type { VersionStatus } from '../../src/core/version-status.ts';
import type { LocalStack } from '../../src/local/main.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { type BuiltImage, IMAGE_CREATED, pushBuildxStyleIndex, pushImage } from '../support/images.ts';
import { callLocalApi, startQuietStack, waitForVersion as waitForVersionOf } from '../support/local-stack.ts';
import { writeOciLayout } from '../support/oci-layout.ts';

// Issue 2's end-to-end list, through the running local stack: real registry (its notifications),
// the webhook, the same on-image-push handler as on AWS, dynalite; real busybox images, pushed by
// skopeo (a real client) or over HTTP.

const run = promisify(execFile);
let stack: LocalStack;
let dataDir: string;
let layoutDir: string;
let layout: Record<string, BuiltImage>;
let repoCounter = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ma-e2e-'));
  layoutDir = join(dataDir, 'layout');
  layout = writeOciLayout(layoutDir, [
    { name: 'amd64', options: { arch: 'amd64' } },
    { name: 'arm64', options: { arch: 'arm64' } },
    { name: 'arm64-v2', options: { arch: 'arm64', label: 'rebuild' } },
  ]);
  stack = await startQuietStack(dataDir);
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const registryHost = () => stack.registryUrl.replace('http://', '');
const newRepo = () => `e2e/app${++repoCounter}`;

const api = <T = unknown>(method: string, path: string, body?: unknown) => callLocalApi<T>(stack, method, path, body);
const waitForVersion = (repo: string, version: string, done: (status: VersionStatus) => boolean) =>
  waitForVersionOf(stack, repo, version, done);

async function configure(repo: string, config: Record<string, unknown> = { requiredPlatforms: ['linux/amd64', 'linux/arm64'] }) {
  expect((await api('PUT', `/v1/repositories/${repo}/config`, config)).status).toBe(200);
}

async function skopeoPush(name: string, repo: string, tag: string): Promise<void> {
  await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layoutDir}:${name}`, `docker://${registryHost()}/${repo}:${tag}`]);
}

async function registryManifest(repo: string, reference: string): Promise<{ digest: string; bytes: Uint8Array; mediaType: string }> {
  const response = await fetch(`${stack.registryUrl}/v2/${repo}/manifests/${reference}`, {
    headers: {
      accept:
        'application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.oci.image.manifest.v1+json',
    },
  });
  expect(response.status).toBe(200);
  return {
    digest: response.headers.get('docker-content-digest') ?? '',
    mediaType: (response.headers.get('content-type') ?? '').split(';')[0]!,
    bytes: new Uint8Array(await response.arrayBuffer()),
  };
}

async function expectPublishedIndexOf(repo: string, version: string, children: BuiltImage[]): Promise<void> {
  const status = await waitForVersion(repo, version, (s) => s.state === 'published' && s.images.length === children.length);
  const manifest = await registryManifest(repo, version);
  expect(manifest.digest).toBe(status.published?.digest);
  const index = expectValidIndex({ ...manifest, size: manifest.bytes.byteLength });
  expect(index.manifests.map((m) => m.digest).sort()).toEqual(children.map((c) => c.digest).sort());
  for (const child of index.manifests) {
    const image = children.find((c) => c.digest === child.digest)!;
    expect(child.size).toBe(image.size);
    expect(child.platform).toMatchObject({ os: image.platform.os, architecture: image.platform.architecture });
  }
}

describe('the local stack, end to end', () => {
  it.each([
    ['amd64 first', ['amd64', 'arm64']],
    ['arm64 first', ['arm64', 'amd64']],
  ])('publishes the index once both per-arch images are pushed with skopeo (%s)', async (_name, order) => {
    const repo = newRepo();
    await configure(repo);
    await skopeoPush(order[0]!, repo, `2.7-${order[0]}`);
    const waiting = await waitForVersion(repo, '2.7', (s) => s.images.length === 1);
    expect(waiting).toMatchObject({ state: 'waiting', missingPlatforms: [`linux/${order[1]}`], published: null });
    await skopeoPush(order[1]!, repo, `2.7-${order[1]}`);
    await expectPublishedIndexOf(repo, '2.7', [layout.amd64!, layout.arm64!]);
  });

  it('publishes when both pushes happen at the same moment', async () => {
    const repo = newRepo();
    await configure(repo);
    await Promise.all([skopeoPush('amd64', repo, '3.1-amd64'), skopeoPush('arm64', repo, '3.1-arm64')]);
    await expectPublishedIndexOf(repo, '3.1', [layout.amd64!, layout.arm64!]);
  });

  it('changes nothing when the same notification is delivered twice', async () => {
    const repo = newRepo();
    await configure(repo);
    await skopeoPush('amd64', repo, '4.0-amd64');
    await skopeoPush('arm64', repo, '4.0-arm64');
    const before = await waitForVersion(repo, '4.0', (s) => s.state === 'published');
    // What distribution sends, again: same event id, and a second id for the same push.
    const secret = readFileSync(join(dataDir, 'registry-secret'), 'utf8').trim();
    for (const id of ['dup-1', 'dup-1', 'dup-2']) {
      const response = await fetch(`${stack.apiUrl}/v1/hooks/registry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
        body: JSON.stringify({
          events: [
            {
              id,
              timestamp: new Date().toISOString(),
              action: 'push',
              target: {
                mediaType: layout.arm64!.mediaType,
                size: layout.arm64!.size,
                digest: layout.arm64!.digest,
                repository: repo,
                tag: '4.0-arm64',
              },
              request: { method: 'PUT' },
              actor: {},
              source: {},
            },
          ],
        }),
      });
      expect(response.status).toBe(200);
    }
    // The webhook answers once a push is in the inbox; the handler runs after. Wait until dup-2 (and
    // anything before it) was handled, so that `after` sees what it did.
    const inboxFigure = async (name: string) => {
      const text = await (await fetch(`${stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${stack.token}` } })).text();
      return Number(new RegExp(`^manifest_assembler_inbox_${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    };
    for (let tries = 0; (await inboxFigure('pending')) !== 0; tries += 1) {
      if (tries > 400) throw new Error('the inbox did not empty');
      await new Promise((r) => setTimeout(r, 25));
    }
    const after = (await api<VersionStatus>('GET', `/v1/repositories/${repo}/versions/4.0`)).json;
    expect(after).toEqual(before);
  });

  it('republishes with the new digest when one architecture is rebuilt later', async () => {
    const repo = newRepo();
    await configure(repo);
    await skopeoPush('amd64', repo, '5.0-amd64');
    await skopeoPush('arm64', repo, '5.0-arm64');
    const first = await waitForVersion(repo, '5.0', (s) => s.state === 'published');
    await skopeoPush('arm64-v2', repo, '5.0-arm64');
    const second = await waitForVersion(repo, '5.0', (s) => s.state === 'published' && s.published?.digest !== first.published?.digest);
    expect(second.images.find((i) => i.platform === 'linux/arm64')?.digest).toBe(layout['arm64-v2']!.digest);
    await expectPublishedIndexOf(repo, '5.0', [layout.amd64!, layout['arm64-v2']!]);
  });

  it('counts a buildx-style index as its platform and carries the attestation next to its image', async () => {
    const repo = newRepo();
    await configure(repo);
    const amd = await pushImage(stack.registryUrl, repo, '6.0-amd64', { arch: 'amd64', format: 'oci' });
    const buildx = await pushBuildxStyleIndex(stack.registryUrl, repo, '6.0-arm64', 'arm64');
    const status = await waitForVersion(repo, '6.0', (s) => s.state === 'published');
    expect(status.images.map((i) => [i.platform, i.digest])).toEqual([
      ['linux/amd64', amd.digest],
      ['linux/arm64', buildx.image.digest],
    ]);
    const manifest = await registryManifest(repo, '6.0');
    const index = expectValidIndex({ ...manifest, size: manifest.bytes.byteLength });
    expect(index.manifests.map((m) => m.digest)).toEqual([amd.digest, buildx.image.digest, buildx.attestation.digest]);
    const attestationAnnotations = {
      'vnd.docker.reference.digest': buildx.image.digest,
      'vnd.docker.reference.type': 'attestation-manifest',
    };
    expect(index.manifests[2]!.annotations).toEqual(attestationAnnotations);
    // Byte-identical to what the core builds from the recorded images.
    const recorded = status.images.map((i) => ({
      key: i.platform,
      platform: { os: 'linux', architecture: i.platform.split('/')[1] ?? '' },
      digest: i.digest,
      mediaType: i.mediaType,
      size: i.size,
      tag: i.tag,
      sourceDigest: '',
      pushedAt: '',
      created: IMAGE_CREATED,
      attestations:
        i.platform === 'linux/arm64'
          ? [
              {
                mediaType: buildx.attestation.mediaType,
                digest: buildx.attestation.digest,
                size: buildx.attestation.size,
                annotations: attestationAnnotations,
              },
            ]
          : [],
    }));
    expect(buildIndex(recorded, 'auto').manifest.digest).toBe(manifest.digest);
  });

  it('ignores a tag that does not match the pattern, and a repository without config', async () => {
    const repo = newRepo();
    await configure(repo);
    await skopeoPush('amd64', repo, 'latest');
    const unconfigured = newRepo();
    await skopeoPush('amd64', unconfigured, '7.0-amd64');
    await skopeoPush('arm64', unconfigured, '7.0-arm64');
    // The pushes after these (a sentinel in the configured repository) are handled in order by the
    // registry's notification queue, so once the sentinel is recorded the earlier ones were seen.
    await skopeoPush('amd64', repo, '7.0-amd64');
    await waitForVersion(repo, '7.0', (s) => s.images.length === 1);
    expect(
      (await api<{ versions: VersionStatus[] }>('GET', `/v1/repositories/${repo}/versions`)).json.versions.map((v) => v.version),
    ).toEqual(['7.0']);
    expect((await api('GET', `/v1/repositories/${unconfigured}/versions/7.0`)).status).toBe(404);
    expect((await fetch(`${stack.registryUrl}/v2/${unconfigured}/manifests/7.0`, { method: 'HEAD' })).status).toBe(404);
  });

  it('serves the arm64 image to a platform-selecting pull of the published tag, and it runs as aarch64', async () => {
    const repo = newRepo();
    await configure(repo);
    await skopeoPush('amd64', repo, '8.0-amd64');
    await skopeoPush('arm64', repo, '8.0-arm64');
    await waitForVersion(repo, '8.0', (s) => s.state === 'published');
    const pulled = join(dataDir, 'pulled-arm64');
    await run('skopeo', [
      'copy',
      '-q',
      '--src-tls-verify=false',
      '--override-arch',
      'arm64',
      `docker://${registryHost()}/${repo}:8.0`,
      `oci:${pulled}:x`,
    ]);
    const index = JSON.parse(readFileSync(join(pulled, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(index.manifests.map((m) => m.digest)).toEqual([layout.arm64!.digest]);
    // Unpack its layer and run its busybox under qemu: the pull really got an arm64 binary.
    const rootfs = join(dataDir, 'rootfs-arm64');
    const layer = join(pulled, 'blobs', 'sha256', layout.arm64!.layer.digest.slice('sha256:'.length));
    await run('mkdir', ['-p', rootfs]);
    await run('tar', ['-xzf', layer, '-C', rootfs]);
    const { stdout } = await run('qemu-aarch64-static', [join(rootfs, 'bin', 'busybox'), 'uname', '-m']);
    expect(stdout.trim()).toBe('aarch64');
  });
});
