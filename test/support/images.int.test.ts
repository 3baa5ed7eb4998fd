import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { computeDigest } from '../../src/core/digest.ts';
import { MediaTypes } from '../../src/core/media-types.ts';
import { buildImage, type ImageFormat, pushBuildxStyleIndex, pushImage, type TestArch } from './images.ts';

const run = promisify(execFile);
const registryUrl = inject('registryUrl');
const registryHost = registryUrl.replace(/^http:\/\//, '');

async function skopeoInspect(reference: string, extra: string[] = []): Promise<Record<string, unknown>> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', ...extra, `docker://${registryHost}/${reference}`]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

// ELF e_machine values: what the busybox binary in the layer was really compiled for.
const ELF_MACHINE: Record<TestArch, number> = { amd64: 0x3e, arm64: 0xb7, arm: 0x28 };

describe('pushImage', () => {
  const cases: Array<{ arch: TestArch; format: ImageFormat; architecture: string; variant: string | undefined }> = [
    { arch: 'amd64', format: 'oci', architecture: 'amd64', variant: undefined },
    { arch: 'arm64', format: 'docker', architecture: 'arm64', variant: undefined },
    { arch: 'arm', format: 'oci', architecture: 'arm', variant: 'v7' },
  ];
  for (const c of cases) {
    describe(`when the arch is ${c.arch} in ${c.format} format`, () => {
      it('pushes an image whose config and manifest skopeo reads as that platform', async () => {
        const repository = `images/${c.arch}-${c.format}`;
        const image = await pushImage(registryUrl, repository, 'v1', { arch: c.arch, format: c.format, label: 'one' });

        const config = JSON.parse(Buffer.from(image.config.bytes).toString('utf8')) as Record<string, unknown>;
        expect(config).toMatchObject({ architecture: c.architecture, os: 'linux', rootfs: { diff_ids: [image.layer.diffId] } });
        expect(config.variant).toBe(c.variant);
        expect(image.mediaType).toBe(c.format === 'oci' ? MediaTypes.ociManifest : MediaTypes.dockerManifest);

        const inspected = await skopeoInspect(`${repository}:v1`);
        expect(inspected).toMatchObject({
          Digest: image.digest,
          Architecture: c.architecture,
          Os: 'linux',
          Labels: { 'org.example.build': 'one' },
        });
        // skopeo 1.9's summary has no Variant; the config it reads does.
        const inspectedConfig = await skopeoInspect(`${repository}:v1`, ['--config']);
        expect(inspectedConfig).toMatchObject({ architecture: c.architecture, os: 'linux' });
        expect(inspectedConfig.variant).toBe(c.variant);
        const { stdout: raw } = await run('skopeo', [
          'inspect',
          '--raw',
          '--tls-verify=false',
          `docker://${registryHost}/${repository}:v1`,
        ]);
        expect(computeDigest(Buffer.from(raw, 'utf8'))).toBe(image.digest);
      });
    });
  }

  it('puts the right busybox binary in a layer that tar reads, with diff_id = sha256 of the tar', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layer-'));
    try {
      for (const arch of ['amd64', 'arm64', 'arm'] as const) {
        const image = buildImage({ arch, format: 'oci' });
        const layerPath = join(dir, `${arch}.tar.gz`);
        await writeFile(layerPath, image.layer.bytes);
        await run('mkdir', ['-p', join(dir, arch)]);
        await run('tar', ['-xzf', layerPath, '-C', join(dir, arch)]);
        const elf = await readFile(join(dir, arch, 'bin', 'busybox'));
        expect(elf.subarray(0, 4).toString('latin1')).toBe('\u007fELF');
        expect(elf.readUInt16LE(18)).toBe(ELF_MACHINE[arch]);
        const { stdout: link } = await run('readlink', [join(dir, arch, 'bin', 'sh')]);
        expect(link.trim()).toBe('busybox');
        const { stdout: tarSha } = await run('sh', ['-c', `gzip -dc '${layerPath}' | sha256sum`]);
        expect(`sha256:${tarSha.split(' ')[0]}`).toBe(image.layer.diffId);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the same digest for the same inputs and a new one for a new label', () => {
    const a = buildImage({ arch: 'arm64', format: 'oci', label: 'x' });
    const b = buildImage({ arch: 'arm64', format: 'oci', label: 'x' });
    const c = buildImage({ arch: 'arm64', format: 'oci', label: 'y' });
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
    expect(c.layer.digest).toBe(a.layer.digest);
  });

  it('states the platform a caller asks the config to claim', async () => {
    const image = await pushImage(registryUrl, 'images/claims', 'v1', {
      arch: 'arm64',
      format: 'oci',
      configPlatform: { os: 'linux', architecture: 'amd64' },
    });
    expect(await skopeoInspect('images/claims:v1')).toMatchObject({ Digest: image.digest, Architecture: 'amd64' });
  });
});

describe('pushBuildxStyleIndex', () => {
  it('pushes an OCI index with the image and a BuildKit attestation manifest', async () => {
    const repository = 'images/buildx';
    const index = await pushBuildxStyleIndex(registryUrl, repository, '1.0-arm64', 'arm64');

    const { stdout: raw } = await run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registryHost}/${repository}:1.0-arm64`,
    ]);
    expect(computeDigest(Buffer.from(raw, 'utf8'))).toBe(index.digest);
    const parsed = JSON.parse(raw) as { mediaType: string; manifests: Array<Record<string, unknown>> };
    expect(parsed.mediaType).toBe(MediaTypes.ociIndex);
    expect(parsed.manifests).toEqual([
      {
        mediaType: MediaTypes.ociManifest,
        digest: index.image.digest,
        size: index.image.size,
        platform: { architecture: 'arm64', os: 'linux' },
      },
      {
        mediaType: MediaTypes.ociManifest,
        digest: index.attestation.digest,
        size: index.attestation.size,
        annotations: { 'vnd.docker.reference.digest': index.image.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
        platform: { architecture: 'unknown', os: 'unknown' },
      },
    ]);

    // skopeo names the index by its digest, resolves it to the arm64 image, and reads the attestation.
    const chosen = await skopeoInspect(`${repository}:1.0-arm64`, ['--override-arch', 'arm64']);
    expect(chosen).toMatchObject({ Digest: index.digest, Architecture: 'arm64', Layers: [index.image.layer.digest] });
    const { stdout: attestationRaw } = await run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registryHost}/${repository}@${index.attestation.digest}`,
    ]);
    const attestation = JSON.parse(attestationRaw) as { layers: Array<{ mediaType: string }> };
    expect(attestation.layers.map((l) => l.mediaType)).toEqual(['application/vnd.in-toto+json']);
  });
});
