import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { MediaTypes } from '../../../src/core/media-types.ts';
import { type LocalStack, startLocalStack } from '../../../src/local/main.ts';
import { pushImage } from '../../support/images.ts';
import { findFreePort } from '../../support/registry-process.ts';

/** The CLI as a user runs it against the local stack, with what it printed. */
async function cli(stack: LocalStack, argv: string[], onStderr: (text: string) => void = () => undefined) {
  let stdout = '';
  let stderr = '';
  const code = await main([...argv, '--api', stack.apiUrl, '--token', stack.token], {
    env: {},
    cwd: tmpdir(),
    stdout: (text) => (stdout += text),
    stderr: (text) => {
      stderr += text;
      onStderr(stderr);
    },
  });
  return { code, stdout, stderr };
}

async function indexAt(stack: LocalStack, tag: string): Promise<{ digest: string | null; architectures: string[] }> {
  const response = await fetch(`${stack.registryUrl}/v2/team/hello/manifests/${tag}`, {
    headers: { accept: `${MediaTypes.ociIndex}, ${MediaTypes.dockerManifestList}` },
  });
  const body = (await response.json()) as { manifests: Array<{ platform: { architecture: string } }> };
  return { digest: response.headers.get('docker-content-digest'), architectures: body.manifests.map((m) => m.platform.architecture) };
}

describe('wait and publish against the local stack', () => {
  let dataDir: string;
  let stack: LocalStack;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wait-stack-'));
    const registryPort = await findFreePort();
    let apiPort = await findFreePort();
    while (apiPort === registryPort) apiPort = await findFreePort();
    stack = await startLocalStack({
      env: { REGISTRY_PORT: String(registryPort), API_PORT: String(apiPort), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      standalone: false,
      print: () => undefined,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the OpenAPI document without a token', async () => {
    const response = await fetch(`${stack.apiUrl}/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      openapi: '3.1.0',
      paths: { '/v1/repositories/{repository}/versions/{version}': { get: { operationId: 'getVersion' } } },
    });
  });

  it('wait returns 0 with the digest once the second platform is pushed', async () => {
    expect((await cli(stack, ['config', 'set', 'team/hello', '--require', 'linux/amd64,linux/arm64'])).code).toBe(0);
    await pushImage(stack.registryUrl, 'team/hello', '2.7-amd64', { arch: 'amd64', format: 'oci' });

    let sawWaiting!: () => void;
    const waiting = new Promise<void>((resolve) => (sawWaiting = resolve));
    const waited = cli(stack, ['wait', 'team/hello:2.7', '--timeout', '60s'], (stderr) => {
      if (stderr.includes('waiting for linux/arm64')) sawWaiting();
    });
    await waiting;
    await pushImage(stack.registryUrl, 'team/hello', '2.7-arm64', { arch: 'arm64', format: 'oci' });
    const result = await waited;

    expect(result.code).toBe(0);
    const index = await indexAt(stack, '2.7');
    expect(result.stdout).toBe(`${index.digest}\n`);
    expect(index.architectures.sort()).toEqual(['amd64', 'arm64']);
  });

  it('publish re-applies a config without linux/arm64: the index loses arm64', async () => {
    const before = await indexAt(stack, '2.7');
    expect((await cli(stack, ['config', 'set', 'team/hello', '--require', 'linux/amd64'])).code).toBe(0);

    const published = await cli(stack, ['publish', 'team/hello:2.7']);

    expect(published.code).toBe(0);
    const after = await indexAt(stack, '2.7');
    expect(after.architectures).toEqual(['amd64']);
    expect(after.digest).not.toBe(before.digest);
    expect(published.stdout).toContain(`(${after.digest?.slice(7, 19)})`);
    expect((await cli(stack, ['wait', 'team/hello:2.7', '--timeout', '5s'])).stdout).toBe(`${after.digest}\n`);
  });
});
