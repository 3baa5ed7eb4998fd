import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/local/main.ts';
import { startStackOnFreePorts } from '../support/free-port-stack.ts';
import { pushImage } from '../support/images.ts';

/** The value of one sample line (`name value`) in Prometheus text, or undefined when absent. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('GET /metrics on the local stack', () => {
  let stack: LocalStack;
  let stop: () => Promise<void>;
  const scrape = async (): Promise<string> => {
    const response = await fetch(`${stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    ({ stack, stop } = await startStackOnFreePorts('metrics-int'));
  });

  afterAll(async () => {
    await stop?.();
  });

  it('refuses a scrape without the token', async () => {
    expect((await fetch(`${stack.apiUrl}/metrics`)).status).toBe(401);
  });

  it('counts a publish, its push-to-publish times and the age of each push event, from real pushes', async () => {
    const before = await scrape();
    expect(sample(before, 'manifest_assembler_versions_published_total')).toBe(0);
    const put = await fetch(`${stack.apiUrl}/v1/repositories/team/hello/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requiredPlatforms: ['linux/amd64', 'linux/arm64'] }),
    });
    expect(put.status).toBe(200);
    await pushImage(stack.registryUrl, 'team/hello', '3.0-amd64', { arch: 'amd64', format: 'oci' });
    await pushImage(stack.registryUrl, 'team/hello', '3.0-arm64', { arch: 'arm64', format: 'oci' });
    let text = '';
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      text = await scrape();
      if (sample(text, 'manifest_assembler_versions_published_total') === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sample(text, 'manifest_assembler_versions_published_total')).toBe(1);
    expect(sample(text, 'manifest_assembler_first_push_to_publish_seconds_count')).toBe(1);
    expect(sample(text, 'manifest_assembler_last_push_to_publish_seconds_count')).toBe(1);
    // Both per-arch pushes (and the index put under 3.0, which is then ignored) reach on-image-push.
    expect(sample(text, 'manifest_assembler_event_age_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'manifest_assembler_versions_in_conflict_total')).toBe(0);
  });
});
