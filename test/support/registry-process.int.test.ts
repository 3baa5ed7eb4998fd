import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHttpStub } from './http-stub.ts';
import { pushImage } from './images.ts';
import { startRegistry } from './registry-process.ts';

describe('startRegistry', () => {
  it('notifies manifest pushes only, with the shared secret and the references', async () => {
    const received: Array<{ authorization: string | undefined; body: string }> = [];
    const hook = await startHttpStub(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      received.push({ authorization: req.headers.authorization, body });
      res.writeHead(200).end();
    });
    const registry = await startRegistry({ notificationUrl: `${hook.url}/v1/hooks/registry`, notificationSecret: 'shh' });
    try {
      const image = await pushImage(registry.url, 'notified/app', '1.0-amd64', { arch: 'amd64', format: 'oci' });

      // Blob uploads and pulls are filtered out: the one event is the manifest push.
      await expect.poll(() => received.length).toBe(1);
      const [event] = received;
      expect(event?.authorization).toBe('Bearer shh');
      const envelope = JSON.parse(event?.body ?? '{}') as { events: Array<Record<string, unknown>> };
      expect(envelope.events).toHaveLength(1);
      expect(envelope.events[0]).toMatchObject({
        action: 'push',
        target: {
          repository: 'notified/app',
          tag: '1.0-amd64',
          digest: image.digest,
          mediaType: image.mediaType,
          references: [
            { digest: image.config.digest, size: image.config.size },
            { digest: image.layer.digest, size: image.layer.size },
          ],
        },
      });
    } finally {
      await registry.stop();
      await hook.close();
    }
  });

  it('keeps a given data folder on stop, and serves its content again after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'registry-data-'));
    try {
      const first = await startRegistry({ dataDir });
      const image = await pushImage(first.url, 'kept/app', 'v1', { arch: 'arm64', format: 'docker' });
      await first.stop();
      expect(await readdir(dataDir)).toContain('docker');

      const second = await startRegistry({ dataDir });
      try {
        const response = await fetch(`${second.url}/v2/kept/app/manifests/v1`, { method: 'HEAD', headers: { accept: image.mediaType } });
        expect(response.headers.get('docker-content-digest')).toBe(image.digest);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a port already taken, saying what the registry said', async () => {
    const taken = await startRegistry();
    try {
      await expect(startRegistry({ port: taken.port })).rejects.toThrow(/address already in use/);
    } finally {
      await taken.stop();
    }
  });
});
