import { describe, expect, it } from 'vitest';
import { ImageMetadataLimits, readImageConfigMetadata } from '../../src/core/image-config-metadata.ts';

const P = 'org.opencontainers.image.';

describe('readImageConfigMetadata', () => {
  const cases: Array<{ name: string; config: unknown; want: { labels?: Record<string, string>; created?: string }; notes?: RegExp[] }> = [
    {
      name: 'keeps the org.opencontainers.image labels, sorted, and created',
      config: {
        created: '2026-11-27T10:00:00.123456789Z',
        config: {
          Labels: {
            [`${P}source`]: 'https://github.com/example/hello',
            'org.example.build': 'x',
            [`${P}revision`]: 'abc',
            maintainer: 'me',
          },
        },
      },
      want: {
        labels: { [`${P}revision`]: 'abc', [`${P}source`]: 'https://github.com/example/hello' },
        created: '2026-11-27T10:00:00.123456789Z',
      },
    },
    { name: 'no labels and no created: nothing', config: { architecture: 'amd64', os: 'linux', config: { Labels: null } }, want: {} },
    { name: 'a config that is not an object: nothing', config: 'text', want: {} },
    { name: 'no labels with the prefix: no labels field', config: { config: { Labels: { 'org.example.build': 'x' } } }, want: {} },
    {
      name: 'a label that is not a string, or too long, is left out with a note',
      config: { config: { Labels: { [`${P}title`]: 7, [`${P}description`]: 'x'.repeat(1025), [`${P}url`]: 'u' } } },
      want: { labels: { [`${P}url`]: 'u' } },
      notes: [
        /label org.opencontainers.image.description not inherited: longer than 1024 characters/,
        /label org.opencontainers.image.title not inherited: not a string/,
      ],
    },
    {
      name: 'a created that is not RFC 3339 is left out with a note',
      config: { created: 'last tuesday' },
      want: {},
      notes: [/created "last tuesday" is not an RFC 3339 time/],
    },
    {
      name: 'a label key that is not an annotation key is left out',
      config: { config: { Labels: { [`${P}bad key`]: 'x' } } },
      want: {},
      notes: [/label org.opencontainers.image.bad key not inherited/],
    },
  ];
  for (const { name, config, want, notes = [] } of cases) {
    it(name, () => {
      const { notes: got, ...rest } = readImageConfigMetadata(config);
      expect(rest).toStrictEqual(want);
      expect(got).toHaveLength(notes.length);
      for (const [i, pattern] of notes.entries()) expect(got[i]).toMatch(pattern);
      if (rest.labels !== undefined) expect(Object.keys(rest.labels)).toEqual(Object.keys(rest.labels).sort());
    });
  }

  it('keeps at most 16 labels, the first in key order, whatever order the config lists them in', () => {
    const keys = Array.from({ length: 20 }, (_, i) => `${P}k${String(i).padStart(2, '0')}`);
    const labels = Object.fromEntries([...keys].reverse().map((key) => [key, 'v']));
    const { labels: kept, notes } = readImageConfigMetadata({ config: { Labels: labels } });
    expect(Object.keys(kept ?? {})).toEqual(keys.slice(0, ImageMetadataLimits.labels));
    expect(notes).toHaveLength(4);
  });

  it('keeps labels while their keys and values fit in 4096 characters', () => {
    const value = 'x'.repeat(1000);
    const labels = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((k) => [`${P}${k}`, value]));
    const { labels: kept, notes } = readImageConfigMetadata({ config: { Labels: labels } });
    expect(Object.keys(kept ?? {})).toEqual(
      [`${P}a`, `${P}b`, `${P}c`, `${P}d`].slice(0, Math.floor(ImageMetadataLimits.totalLength / (1000 + P.length + 1))),
    );
    const total = Object.entries(kept ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(total).toBeLessThanOrEqual(ImageMetadataLimits.totalLength);
    expect(notes.at(-1)).toMatch(/exceed 4096 characters/);
  });
});
