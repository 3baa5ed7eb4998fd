import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/local/main.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage } from '../support/images.ts';
import { requestLocalApi } from '../support/local-stack.ts';
import { freeRunnerPorts } from '../support/runner-process.ts';

async function metric(stack: LocalStack, name: string): Promise<number> {
  const text = await (await fetch(`${stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${stack.token}` } })).text();
  const value = new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`no ${name} in /metrics:\n${text}`);
  return Number(value);
}

describe('the local stack with REGISTRY_ENDPOINTS=3 (the real registry notifying three endpoints)', () => {
  let dataDir: string;
  let stack: LocalStack;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'registry-endpoints-'));
    const env = { ...(await freeRunnerPorts()), DATA_DIR: dataDir, LOG_LEVEL: 'warn', REGISTRY_ENDPOINTS: '3', RECONCILE_INTERVAL: '0' };
    stack = await startLocalStack({ env, standalone: false, print: () => undefined });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('records each push once, at the endpoint of its share, and publishes every version', async () => {
    const config = await readFile(join(dataDir, 'registry', 'config.yml'), 'utf8');
    expect(config.match(/\/v1\/hooks\/registry\?share=\d&of=3"/g)).toHaveLength(3);
    expect(
      (await requestLocalApi(stack, 'PUT', '/v1/repositories/team/shares/config', { requiredPlatforms: ['linux/amd64', 'linux/arm64'] }))
        .status,
    ).toBe(200);
    const versions = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5'];
    await Promise.all(
      versions.flatMap((version) =>
        (['amd64', 'arm64'] as const).map((arch) =>
          pushImage(stack.registryUrl, 'team/shares', `${version}-${arch}`, { arch, format: 'oci' }),
        ),
      ),
    );
    for (const version of versions) {
      await eventually(async () => {
        const body = (await (await requestLocalApi(stack, 'GET', `/v1/repositories/team/shares/versions/${version}`)).json()) as {
          state?: string;
        };
        return body.state === 'published' ? true : undefined;
      }, `version ${version} to be published`);
    }
    // Each of the 12 pushes reached all three endpoints; one recorded it. The echo of each index put
    // is answered as our own at its share's endpoint (once per version, though three deliveries).
    await eventually(
      async () => ((await metric(stack, 'manifest_assembler_inbox_own_puts_total')) === versions.length ? true : undefined),
      'the echoes',
    );
    expect(await metric(stack, 'manifest_assembler_inbox_recorded_total')).toBe(versions.length * 2);
    expect(await metric(stack, 'manifest_assembler_inbox_handled_total')).toBe(versions.length * 2);
  });
});
