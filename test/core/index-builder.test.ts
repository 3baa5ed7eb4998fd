import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawManifest } from '../../src/core/descriptor.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { buildIndex } from '../../src/core/index-builder.ts';
import { Annotations, MediaTypes } from '../../src/core/media-types.ts';
import { formatPlatform, parsePlatform } from '../../src/core/platform.ts';
import type { IndexMediaTypeChoice } from '../../src/core/repository-config.ts';
import type { RecordedImage } from '../../src/core/version-record.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import { attestationFor, digestOf, recordedImage } from './fixtures.ts';

const text = (raw: RawManifest) => new TextDecoder().decode(raw.bytes);

describe('buildIndex', () => {
  describe('golden', () => {
    // Inputs written out in full, so this test breaks if any byte of the output changes.
    const amd64: RecordedImage = {
      key: 'linux/amd64',
      platform: { os: 'linux', architecture: 'amd64' },
      digest: 'sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 402,
      tag: '2.7-amd64',
      sourceDigest: 'sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66',
      pushedAt: '2026-11-27T10:00:00.000Z',
      attestations: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: 'sha256:85015a9ec289b6941cd61ef4fcec8a112df8b63c3999f64749fc9591372eaab2',
          size: 839,
          platform: { os: 'unknown', architecture: 'unknown' },
          // Given in the opposite order to the output: annotation keys are sorted.
          annotations: {
            'vnd.docker.reference.type': 'attestation-manifest',
            'vnd.docker.reference.digest': 'sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66',
          },
        },
      ],
    };
    const arm64: RecordedImage = {
      key: 'linux/arm64',
      platform: { os: 'linux', architecture: 'arm64' },
      digest: 'sha256:0612bc8ebf820407f3f2c9dcde2661c64544558d822f1eb07a298f8d9e368bf5',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 402,
      tag: '2.7-arm64',
      sourceDigest: 'sha256:0612bc8ebf820407f3f2c9dcde2661c64544558d822f1eb07a298f8d9e368bf5',
      pushedAt: '2026-11-27T10:00:05.000Z',
      attestations: [],
    };

    it('gives exactly these bytes and this digest for an OCI index with an attestation', () => {
      const { manifest, omittedAttestations } = buildIndex([arm64, amd64], 'auto');
      expectValidIndex(manifest);
      expect(text(manifest)).toBe(
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' +
          '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66","size":402,"platform":{"architecture":"amd64","os":"linux"}},' +
          '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:85015a9ec289b6941cd61ef4fcec8a112df8b63c3999f64749fc9591372eaab2","size":839,"platform":{"architecture":"unknown","os":"unknown"},' +
          '"annotations":{"vnd.docker.reference.digest":"sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66","vnd.docker.reference.type":"attestation-manifest"}},' +
          '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0612bc8ebf820407f3f2c9dcde2661c64544558d822f1eb07a298f8d9e368bf5","size":402,"platform":{"architecture":"arm64","os":"linux"}}]}',
      );
      expect(manifest.digest).toBe('sha256:9532bb06f6c122ddead59394271e1c5e3b80735fcc9f6dce1d4d911017016d3d');
      expect(manifest.digest).toBe(`sha256:${createHash('sha256').update(text(manifest)).digest('hex')}`);
      expect(manifest.size).toBe(868);
      expect(manifest.mediaType).toBe(MediaTypes.ociIndex);
      expect(omittedAttestations).toBe(0);
    });

    it('gives exactly these bytes and this digest for a Docker manifest list', () => {
      const docker = (image: RecordedImage): RecordedImage => ({ ...image, mediaType: MediaTypes.dockerManifest, attestations: [] });
      const { manifest } = buildIndex([docker(arm64), docker(amd64)], 'auto');
      expectValidIndex(manifest);
      expect(text(manifest)).toBe(
        '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[' +
          '{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66","size":402,"platform":{"architecture":"amd64","os":"linux"}},' +
          '{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:0612bc8ebf820407f3f2c9dcde2661c64544558d822f1eb07a298f8d9e368bf5","size":402,"platform":{"architecture":"arm64","os":"linux"}}]}',
      );
      expect(manifest.digest).toBe('sha256:8efcf882103fc1d777c15380252802eeb520c52fcc460ac1e40b5deab4b6d005');
      expect(manifest.size).toBe(529);
    });
  });

  describe('golden with annotations', () => {
    // Two children built apart: they agree on source and revision, not on title or created.
    const child = (key: 'amd64' | 'arm64', digest: string, extra: Partial<RecordedImage>): RecordedImage => ({
      key: `linux/${key}`,
      platform: { os: 'linux', architecture: key },
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 402,
      tag: `2.7-${key}`,
      sourceDigest: digest,
      pushedAt: '2026-11-27T10:00:00.000Z',
      attestations: [],
      ...extra,
    });
    const amd64 = child('amd64', 'sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66', {
      labels: { 'org.opencontainers.image.source': 'https://github.com/example/hello', 'org.opencontainers.image.revision': '4e1c9a2' },
      created: '2026-11-27T09:58:00Z',
    });
    const arm64 = child('arm64', 'sha256:0612bc8ebf820407f3f2c9dcde2661c64544558d822f1eb07a298f8d9e368bf5', {
      labels: {
        'org.opencontainers.image.title': 'hello arm64',
        'org.opencontainers.image.source': 'https://github.com/example/hello',
        'org.opencontainers.image.revision': '4e1c9a2',
      },
      created: '2026-11-27T10:01:30.5Z',
    });
    // Given unsorted: keys are sorted in the output, and the configured title wins.
    const configured = { 'org.opencontainers.image.title': 'hello', 'com.example.team': 'web' };

    it('gives exactly these bytes and this digest: annotations last, keys sorted, created the latest child created', () => {
      const { manifest, omittedAnnotations } = buildIndex([arm64, amd64], 'auto', configured);
      expectValidIndex(manifest);
      expect(text(manifest)).toBe(
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' +
          '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66","size":402,"platform":{"architecture":"amd64","os":"linux"}},' +
          '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0612bc8ebf820407f3f2c9dcde2661c64544558d822f1eb07a298f8d9e368bf5","size":402,"platform":{"architecture":"arm64","os":"linux"}}],' +
          '"annotations":{"com.example.team":"web","org.opencontainers.image.created":"2026-11-27T10:01:30.5Z","org.opencontainers.image.revision":"4e1c9a2",' +
          '"org.opencontainers.image.source":"https://github.com/example/hello","org.opencontainers.image.title":"hello"}}',
      );
      expect(manifest.digest).toBe('sha256:baf8b541dea2b7b9c39b053fb66b8e08817f6b44107da0cb8c87589710daec86');
      expect(manifest.digest).toBe(`sha256:${createHash('sha256').update(text(manifest)).digest('hex')}`);
      expect(manifest.size).toBe(748);
      expect(omittedAnnotations).toEqual([]);
    });

    it('gives the bytes it gave before annotations existed when the children were recorded without labels or created', () => {
      const old = (image: RecordedImage): RecordedImage => {
        const { labels: _labels, created: _created, ...rest } = image;
        return rest;
      };
      const { manifest } = buildIndex([old(arm64), old(amd64)], 'auto');
      expect(text(manifest)).toBe(
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' +
          '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:83b5ccc618862aee1fac2293eea096cdbbf1330c35b39855043c125f1d55cc66","size":402,"platform":{"architecture":"amd64","os":"linux"}},' +
          '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0612bc8ebf820407f3f2c9dcde2661c64544558d822f1eb07a298f8d9e368bf5","size":402,"platform":{"architecture":"arm64","os":"linux"}}]}',
      );
      // One child recorded before labels were read: nothing is inherited from labels or created.
      expect(text(buildIndex([old(arm64), amd64], 'auto').manifest)).toBe(text(manifest));
    });

    it('leaves every annotation out of a Docker manifest list and names them', () => {
      const docker = (image: RecordedImage): RecordedImage => ({ ...image, mediaType: MediaTypes.dockerManifest });
      const { manifest, omittedAnnotations } = buildIndex([docker(arm64), docker(amd64)], 'auto', configured);
      expectValidIndex(manifest);
      expect(manifest.mediaType).toBe(MediaTypes.dockerManifestList);
      expect(text(manifest)).not.toContain('annotations');
      expect(omittedAnnotations).toEqual([
        'com.example.team',
        'org.opencontainers.image.created',
        'org.opencontainers.image.revision',
        'org.opencontainers.image.source',
        'org.opencontainers.image.title',
      ]);
    });
  });

  describe('media type', () => {
    const oci = recordedImage('linux/amd64');
    const docker = recordedImage('linux/arm64', { mediaType: MediaTypes.dockerManifest });
    const docker2 = recordedImage('linux/amd64', { mediaType: MediaTypes.dockerManifest });
    const cases: Array<{ name: string; images: RecordedImage[]; choice: IndexMediaTypeChoice; want: string }> = [
      { name: 'auto, every child Docker: a Docker list', images: [docker, docker2], choice: 'auto', want: MediaTypes.dockerManifestList },
      { name: 'auto, one OCI child: an OCI index', images: [docker, oci], choice: 'auto', want: MediaTypes.ociIndex },
      {
        name: 'auto, Docker children with an attestation: an OCI index',
        images: [docker, { ...docker2, attestations: [attestationFor(docker2)] }],
        choice: 'auto',
        want: MediaTypes.ociIndex,
      },
      { name: 'oci with Docker children', images: [docker, docker2], choice: 'oci', want: MediaTypes.ociIndex },
      { name: 'docker with an OCI child', images: [docker, oci], choice: 'docker', want: MediaTypes.dockerManifestList },
      { name: 'auto with no images', images: [], choice: 'auto', want: MediaTypes.ociIndex },
    ];
    for (const { name, images, choice, want } of cases) {
      it(name, () => {
        const { manifest } = buildIndex(images, choice);
        expectValidIndex(manifest);
        expect(manifest.mediaType).toBe(want);
      });
    }
  });

  it('puts each image first and its attestations right after it, sorted by digest', () => {
    const amd64 = recordedImage('linux/amd64');
    const arm64 = recordedImage('linux/arm64');
    const [a1, a2] = [attestationFor(amd64, 'sbom'), attestationFor(amd64, 'provenance')].sort((x, y) => (x.digest < y.digest ? 1 : -1));
    const { manifest } = buildIndex(
      [
        { ...arm64, attestations: [attestationFor(arm64)] },
        { ...amd64, attestations: [a1!, a2!] },
      ],
      'oci',
    );
    const body = expectValidIndex(manifest);
    expect(body.manifests.map((child) => child.digest)).toEqual([
      amd64.digest,
      a2!.digest,
      a1!.digest,
      arm64.digest,
      attestationFor(arm64).digest,
    ]);
  });

  it('leaves attestations out of a Docker list and says how many', () => {
    const amd64 = recordedImage('linux/amd64', { mediaType: MediaTypes.dockerManifest });
    const arm64 = recordedImage('linux/arm64', { mediaType: MediaTypes.dockerManifest });
    const { manifest, omittedAttestations } = buildIndex(
      [
        { ...amd64, attestations: [attestationFor(amd64), attestationFor(amd64, 'sbom')] },
        { ...arm64, attestations: [attestationFor(arm64)] },
      ],
      'docker',
    );
    const body = expectValidIndex(manifest);
    expect(omittedAttestations).toBe(3);
    expect(body.manifests.map((child) => child.digest)).toEqual([amd64.digest, arm64.digest]);
    expect(text(manifest)).not.toContain('annotations');
  });

  it('writes os.version, os.features and variant of the recorded platform', () => {
    const windows = recordedImage('windows(10.0.20348.2227)/amd64', {
      platform: { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.2227', osFeatures: ['win32k'] },
    });
    const arm = recordedImage('linux/arm/v7');
    const body = expectValidIndex(buildIndex([windows, arm], 'auto').manifest);
    expect(body.manifests.map((child) => child.platform)).toEqual([
      { architecture: 'arm', os: 'linux', variant: 'v7' },
      { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2227', 'os.features': ['win32k'] },
    ]);
  });

  it('references the recorded digest, size and media type, not anything about the source', () => {
    const image = recordedImage('linux/amd64', {
      size: 12345,
      sourceDigest: digestOf('the buildx index'),
      tag: 'whatever',
      pushedAt: '2030-01-01T00:00:00.000Z',
    });
    const other = { ...image, sourceDigest: digestOf('another'), tag: 'other', pushedAt: '2031-01-01T00:00:00.000Z' };
    expect(buildIndex([image], 'auto').manifest.digest).toBe(buildIndex([other], 'auto').manifest.digest);
    expect(expectValidIndex(buildIndex([image], 'auto').manifest).manifests[0]).toMatchObject({
      digest: image.digest,
      size: 12345,
      mediaType: MediaTypes.ociManifest,
    });
  });
});

// Generated versions: distinct platforms, each with 0–2 attestations, OCI or Docker media types.
const platformPool = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
  'windows(10.0.20348)/amd64',
  'windows(10.0.17763)/amd64',
  'linux/amd64/v3',
];
const imagesArbitrary = fc
  .uniqueArray(
    fc.record({
      platform: fc.constantFrom(...platformPool),
      build: fc.stringMatching(/^[a-z0-9]{1,6}$/),
      docker: fc.boolean(),
      attestations: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,5}$/), { maxLength: 2 }),
      size: fc.integer({ min: 1, max: 100_000 }),
    }),
    { selector: (entry) => formatPlatform(parsePlatform(entry.platform)), maxLength: platformPool.length },
  )
  .map((entries) =>
    entries.map(({ platform, build, docker, attestations, size }) => {
      const image = recordedImage(platform, { build, size, mediaType: docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest });
      return { ...image, attestations: attestations.map((word) => attestationFor(image, word)) };
    }),
  );
const choiceArbitrary = fc.constantFrom<IndexMediaTypeChoice>('auto', 'oci', 'docker');

// Labels drawn from a small pool so that children often agree; created times in several spellings.
const labelsArbitrary = fc.option(
  fc.dictionary(
    fc.constantFrom(
      'org.opencontainers.image.source',
      'org.opencontainers.image.revision',
      'org.opencontainers.image.title',
      'org.opencontainers.image.created',
      'com.example.x',
    ),
    fc.constantFrom('a', 'b'),
  ),
  { nil: undefined },
);
const createdArbitrary = fc.option(
  fc.constantFrom(
    '2026-01-01T00:00:00Z',
    '2026-01-01T01:00:00+01:00',
    '2026-01-01T00:00:00.5Z',
    '2025-12-31T23:59:59.999999999Z',
    '2026-06-01T00:00:00Z',
  ),
  { nil: undefined },
);
const annotatedImagesArbitrary = imagesArbitrary.chain((images) =>
  fc.tuple(...images.map(() => fc.tuple(labelsArbitrary, createdArbitrary))).map((extras) =>
    images.map((image, i) => {
      const [labels, created] = extras[i]!;
      return { ...image, ...(labels === undefined ? {} : { labels }), ...(created === undefined ? {} : { created }) };
    }),
  ),
);
const configuredArbitrary = fc.dictionary(
  fc.constantFrom('org.opencontainers.image.title', 'com.example.team', 'constructor', 'org.opencontainers.image.created'),
  fc.string({ maxLength: 8 }),
);

describe('buildIndex properties', () => {
  it('gives byte-identical output for any order of the same images and attestations', () => {
    fc.assert(
      fc.property(imagesArbitrary, choiceArbitrary, fc.integer(), (images, choice, seed) => {
        const shuffled = shuffle(images, seed).map((image) => ({ ...image, attestations: shuffle(image.attestations, seed + 1) }));
        const a = buildIndex(images, choice).manifest;
        const b = buildIndex(shuffled, choice).manifest;
        expect(b.digest).toBe(a.digest);
        expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
      }),
    );
  });

  it('gives byte-identical output for any order of the children, of their labels and of the configured annotations', () => {
    fc.assert(
      fc.property(annotatedImagesArbitrary, choiceArbitrary, configuredArbitrary, fc.integer(), (images, choice, configured, seed) => {
        const reorder = <T>(record: Readonly<Record<string, T>>) => Object.fromEntries(shuffle(Object.entries(record), seed + 2));
        const shuffled = shuffle(images, seed).map((image) => ({
          ...image,
          attestations: shuffle(image.attestations, seed + 1),
          ...(image.labels === undefined ? {} : { labels: reorder(image.labels) }),
        }));
        const a = buildIndex(images, choice, configured);
        const b = buildIndex(shuffled, choice, reorder(configured));
        expectValidIndex(a.manifest);
        expect(b.manifest.digest).toBe(a.manifest.digest);
        expect(Buffer.from(b.manifest.bytes).equals(Buffer.from(a.manifest.bytes))).toBe(true);
        expect(b.omittedAnnotations).toEqual(a.omittedAnnotations);
        // Configured values are always there, as given, in an OCI index.
        const body = JSON.parse(text(a.manifest)) as { annotations?: Record<string, string> };
        if (a.manifest.mediaType === MediaTypes.ociIndex) {
          for (const [key, value] of Object.entries(configured)) expect(body.annotations?.[key]).toBe(value);
        } else {
          expect(body.annotations).toBeUndefined();
        }
      }),
    );
  });

  it('is always a valid index, with every image once and each attestation after its image unless the list is Docker', () => {
    fc.assert(
      fc.property(imagesArbitrary, choiceArbitrary, (images, choice) => {
        const { manifest, omittedAttestations } = buildIndex(images, choice);
        const body = expectValidIndex(manifest);
        const attestationCount = images.reduce((n, image) => n + image.attestations.length, 0);
        const imageChildren = body.manifests.filter((child) => child.platform?.os !== 'unknown');
        expect(imageChildren.map((child) => child.digest).sort()).toEqual(images.map((image) => image.digest).sort());
        if (manifest.mediaType === MediaTypes.dockerManifestList) {
          expect(omittedAttestations).toBe(attestationCount);
          expect(body.manifests).toHaveLength(images.length);
        } else {
          expect(omittedAttestations).toBe(0);
          expect(body.manifests).toHaveLength(images.length + attestationCount);
          body.manifests.forEach((child, i) => {
            if (child.platform?.os !== 'unknown') return;
            const subject = child.annotations?.[Annotations.referenceDigest];
            const owner = body.manifests
              .slice(0, i)
              .reverse()
              .find((c) => c.platform?.os !== 'unknown');
            expect(owner?.digest).toBe(subject);
          });
        }
      }),
    );
  });
});

describe('expectValidIndex', () => {
  // The checker must be able to fail, or every "valid" above means nothing.
  const good = buildIndex([recordedImage('linux/amd64'), recordedImage('linux/arm64')], 'oci').manifest;
  // biome-ignore lint/suspicious/noExplicitAny: the good index's body, bent by path into each bad shape below.
  type Body = Record<string, any>;
  const rebuilt = (mutate: (body: Body) => void, mediaType = good.mediaType): RawManifest => {
    const body = JSON.parse(text(good)) as Body;
    mutate(body);
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    return { mediaType, digest: computeDigest(bytes), size: bytes.byteLength, bytes };
  };
  const bad: Array<{ name: string; input: RawManifest }> = [
    { name: 'a wrong digest', input: { ...good, digest: digestOf('other') } },
    { name: 'a wrong size', input: { ...good, size: good.size + 1 } },
    { name: 'schemaVersion 1', input: rebuilt((b) => (b.schemaVersion = 1)) },
    { name: 'served as a manifest', input: rebuilt(() => undefined, MediaTypes.ociManifest) },
    { name: 'body and served media type disagree', input: rebuilt(() => undefined, MediaTypes.dockerManifestList) },
    { name: 'a child without size', input: rebuilt((b) => delete b.manifests[0].size) },
    { name: 'a child without platform', input: rebuilt((b) => delete b.manifests[1].platform) },
    { name: 'a duplicate platform', input: rebuilt((b) => (b.manifests[1].platform = { architecture: 'amd64', os: 'linux' })) },
    {
      name: 'an attestation of an image not in the index',
      input: rebuilt((b) =>
        b.manifests.push({
          ...b.manifests[0],
          platform: { architecture: 'unknown', os: 'unknown' },
          annotations: { [Annotations.referenceDigest]: digestOf('x') },
        }),
      ),
    },
    {
      name: 'a Docker list with annotations',
      input: rebuilt((b) => {
        b.mediaType = MediaTypes.dockerManifestList;
        b.manifests[0].annotations = { a: 'b' };
      }, MediaTypes.dockerManifestList),
    },
    { name: 'platform.features (ECR refuses it)', input: rebuilt((b) => (b.manifests[0].platform.features = ['sse4'])) },
    { name: 'an artifactType on the index', input: rebuilt((b) => (b.artifactType = 'application/example')) },
    {
      name: 'annotations before manifests',
      input: rebuilt((b) =>
        reorder(Object.assign(b, { annotations: { a: 'b' } }), ['schemaVersion', 'mediaType', 'annotations', 'manifests']),
      ),
    },
    { name: 'unsorted annotation keys', input: rebuilt((b) => (b.annotations = { b: '1', a: '2' })) },
    { name: 'an empty annotations map', input: rebuilt((b) => (b.annotations = {})) },
    { name: 'an annotation value that is not a string', input: rebuilt((b) => (b.annotations = { a: 1 })) },
  ];
  for (const { name, input } of bad) {
    it(`fails on ${name}`, () => expect(() => expectValidIndex(input)).toThrow());
  }
  it('passes a good index', () => expect(() => expectValidIndex(good)).not.toThrow());
  it('passes a good index with annotations', () =>
    expect(() => expectValidIndex(rebuilt((b) => (b.annotations = { a: '1', b: '' })))).not.toThrow());
});

/** Rewrites the object's own keys in the given order (JSON keeps insertion order). */
function reorder(body: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const entries = order.filter((key) => Object.hasOwn(body, key)).map((key) => [key, body[key]] as const);
  for (const key of Object.keys(body)) delete body[key];
  for (const [key, value] of entries) body[key] = value;
  return body;
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
