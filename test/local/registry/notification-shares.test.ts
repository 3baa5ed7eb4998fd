import { describe, expect, it } from 'vitest';
import { readShare, shareOf } from '../../../src/local/registry/notification-shares.ts';
import { notificationEndpoints, renderRegistryConfig } from '../../../src/local/registry/registry-config.ts';

describe('notification shares', () => {
  it('gives every push of one tag the same share, within 1..of, and spreads many tags over all shares', () => {
    const counts = [0, 0, 0, 0];
    for (let v = 0; v < 200; v++) {
      for (const arch of ['amd64', 'arm64']) {
        const share = shareOf('team/app', `${v}.0.0-${arch}`, 4);
        expect(share).toBe(shareOf('team/app', `${v}.0.0-${arch}`, 4));
        counts[share - 1] = (counts[share - 1] ?? 0) + 1;
      }
    }
    expect(counts.every((n) => n > 50)).toBe(true);
    expect(shareOf('team/app', '1.0-amd64', 1)).toBe(1);
    // The repository is part of the key: the same tag of two repositories may go to different shares.
    const shares = new Set(Array.from({ length: 20 }, (_, i) => shareOf(`team/app${i}`, 'v1-amd64', 4)));
    expect(shares.size).toBeGreaterThan(1);
  });

  it('reads a share from an endpoint URL, nothing without one, and refuses impossible ones', () => {
    expect(readShare('/v1/hooks/registry?share=2&of=4')).toEqual({ share: 2, of: 4 });
    expect(readShare('/v1/hooks/registry')).toBeUndefined();
    for (const bad of ['?share=0&of=2', '?share=3&of=2', '?of=2', '?share=1', '?share=1&of=17', '?share=1.5&of=2']) {
      expect(readShare(`/v1/hooks/registry${bad}`)).toBeInstanceOf(Error);
    }
  });

  it('renders one endpoint by default and n endpoints, each with its share, when asked', () => {
    expect(notificationEndpoints({ url: 'http://127.0.0.1:8080/v1/hooks/registry', secret: 's' })).toEqual([
      { name: 'manifest-assembler', url: 'http://127.0.0.1:8080/v1/hooks/registry' },
    ]);
    const config = renderRegistryConfig({
      addr: '127.0.0.1:5000',
      rootDirectory: '/data',
      httpSecret: 'h',
      notifications: { url: 'http://127.0.0.1:8080/v1/hooks/registry', secret: 's', endpoints: 3 },
    });
    for (const share of [1, 2, 3]) {
      expect(config).toContain(`- name: "manifest-assembler-${share}"`);
      expect(config).toContain(`url: "http://127.0.0.1:8080/v1/hooks/registry?share=${share}&of=3"`);
    }
    expect(config.match(/Authorization: \["Bearer s"\]/g)).toHaveLength(3);
  });
});
