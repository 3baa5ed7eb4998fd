import { describe, expect, it } from 'vitest';
import { parseEcrImageActionEvent, readEcrImageAction } from '../../../src/handlers/ecr-image-action.ts';
import { RegistryEnvelopeSchema, readRegistryEvent } from '../../../src/local/registry/registry-events.ts';

const origin = { account: '000000000000', region: 'us-east-1' };

// Exactly what distribution 2.8.2 sent for an OCI index push (reference/local-stack-facts.md §1).
const INDEX_PUSH_ENVELOPE = `{
  "events": [
    {
      "id": "a69769ae-3f54-48e6-b34f-64b54a295712",
      "timestamp": "2026-11-27T20:59:49.053985494Z",
      "action": "push",
      "target": {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "size": 506,
        "digest": "sha256:e83c8ec20af7a72858448b49df2a3ae569c35ac7a75d50e538a199a1cf830cc8",
        "length": 506,
        "repository": "test/app",
        "url": "http://127.0.0.1:5000/v2/test/app/manifests/sha256:e83c8ec20af7a72858448b49df2a3ae569c35ac7a75d50e538a199a1cf830cc8",
        "tag": "multi",
        "references": [
          { "mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 400, "digest": "sha256:ed57003676b2809b2f6e4f1ea9524269d8b0ff777c2a6df02555a55d64d02c31" },
          { "mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 400, "digest": "sha256:7693fb744b3fe8ce0ddfa2e29bcfe3d700f67558a32d2de37a40d2fc8fbd347b" }
        ]
      },
      "request": { "id": "1e1136c6-7d79-444b-a605-2ba24c5ab4e2", "addr": "127.0.0.1:42074", "host": "127.0.0.1:5000", "method": "PUT", "useragent": "node" },
      "actor": {},
      "source": { "addr": "<hostname>:5000", "instanceID": "d63671e2-d884-45fd-9ccf-dd0d0ed38ccc" }
    }
  ]
}`;

const DIGEST = 'sha256:ed57003676b2809b2f6e4f1ea9524269d8b0ff777c2a6df02555a55d64d02c31';

function event(overrides: { action?: string; target?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    id: 'evt-1',
    timestamp: '2026-11-27T20:59:49.053985494Z',
    action: overrides.action ?? 'push',
    target: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: DIGEST,
      repository: 'hello',
      tag: '2.7-arm64',
      ...overrides.target,
    },
  };
}

describe('readRegistryEvent', () => {
  describe('when given the exact index push distribution 2.8.2 sent', () => {
    it('gives the ECR Image Action event the handler reads on AWS', () => {
      const envelope = RegistryEnvelopeSchema.parse(JSON.parse(INDEX_PUSH_ENVELOPE));
      expect(envelope.events).toHaveLength(1);
      expect(readRegistryEvent(envelope.events[0], origin)).toEqual({
        kind: 'push',
        id: 'a69769ae-3f54-48e6-b34f-64b54a295712',
        event: {
          version: '0',
          id: 'a69769ae-3f54-48e6-b34f-64b54a295712',
          'detail-type': 'ECR Image Action',
          source: 'aws.ecr',
          account: '000000000000',
          time: '2026-11-27T20:59:49.053Z',
          region: 'us-east-1',
          resources: [],
          detail: {
            result: 'SUCCESS',
            'repository-name': 'test/app',
            'image-digest': 'sha256:e83c8ec20af7a72858448b49df2a3ae569c35ac7a75d50e538a199a1cf830cc8',
            'action-type': 'PUSH',
            'image-tag': 'multi',
            'manifest-media-type': 'application/vnd.oci.image.index.v1+json',
          },
        },
      });
    });
  });

  describe('the config an image manifest references', () => {
    const config = { mediaType: 'application/vnd.oci.image.config.v1+json', size: 346, digest: `sha256:${'c'.repeat(64)}` };
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 1052081, digest: `sha256:${'d'.repeat(64)}` };
    const detailOf = (input: unknown) => {
      const outcome = readRegistryEvent(input, origin);
      if (outcome.kind !== 'push') throw new Error(`not a push: ${JSON.stringify(outcome)}`);
      return outcome.event.detail;
    };

    it('is passed on to the handler as manifest-config (distribution names it first among the references)', () => {
      const detail = detailOf(event({ target: { references: [config, layer] } }));
      expect(detail['manifest-config']).toStrictEqual(config);
      // Through the journal (JSON) and the handler's parsing: the push carries it as its config hint.
      const outcome = readRegistryEvent(event({ target: { references: [config, layer] } }), origin);
      const stored = JSON.parse(JSON.stringify(outcome.kind === 'push' ? outcome.event : undefined));
      expect(readEcrImageAction(parseEcrImageActionEvent(stored))).toMatchObject({ kind: 'push', push: { configHint: config } });
    });

    it('is not passed on for an index, a first reference that is not a config, or none', () => {
      expect(
        detailOf(event({ target: { mediaType: 'application/vnd.oci.image.index.v1+json', references: [config] } })),
      ).not.toHaveProperty('manifest-config');
      expect(detailOf(event({ target: { references: [layer, config] } }))).not.toHaveProperty('manifest-config');
      expect(detailOf(event({ target: { references: [{ ...config, digest: 'sha256:short' }] } }))).not.toHaveProperty('manifest-config');
      expect(detailOf(event({ target: { references: [{ ...config, size: -1 }] } }))).not.toHaveProperty('manifest-config');
      expect(detailOf(event())).not.toHaveProperty('manifest-config');
    });
  });

  const cases: Array<{ name: string; input: unknown; want: { kind: string; reason?: RegExp; mediaType?: string } }> = [
    {
      name: 'an OCI image manifest pushed by tag',
      input: event(),
      want: { kind: 'push', mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    },
    {
      name: 'a Docker v2 manifest pushed by tag',
      input: event({ target: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json' } }),
      want: { kind: 'push', mediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
    },
    {
      name: 'a Docker manifest list pushed by tag',
      input: event({ target: { mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' } }),
      want: { kind: 'push', mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' },
    },
    {
      name: 'a push by digest (no tag key)',
      input: event({ target: { tag: undefined } }),
      want: { kind: 'skip', reason: /without a tag/ },
    },
    { name: 'a push with an empty tag', input: event({ target: { tag: '' } }), want: { kind: 'skip', reason: /without a tag/ } },
    {
      name: 'a blob push',
      input: event({ target: { mediaType: 'application/octet-stream', tag: undefined } }),
      want: { kind: 'skip', reason: /application\/octet-stream is not a manifest/ },
    },
    {
      name: 'a schema 1 manifest',
      input: event({ target: { mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' } }),
      want: { kind: 'skip', reason: /not a manifest or index/ },
    },
    {
      name: 'a manifest delete',
      input: event({ action: 'delete', target: { tag: undefined, mediaType: undefined } }),
      want: { kind: 'skip', reason: /action is delete/ },
    },
    {
      name: 'a tag delete',
      input: event({ action: 'delete', target: { digest: undefined, mediaType: undefined } }),
      want: { kind: 'skip', reason: /action is delete/ },
    },
    {
      name: 'a cross-repository mount',
      input: event({ action: 'mount', target: { fromRepository: 'other', mediaType: 'application/octet-stream' } }),
      want: { kind: 'skip', reason: /action is mount/ },
    },
    { name: 'a pull', input: event({ action: 'pull' }), want: { kind: 'skip', reason: /action is pull/ } },
    {
      name: 'a tagged manifest push without a digest',
      input: event({ target: { digest: undefined } }),
      want: { kind: 'invalid', reason: /target\.digest/ },
    },
    {
      name: 'a tagged push with a sha512 digest',
      input: event({ target: { digest: `sha512:${'a'.repeat(128)}` } }),
      want: { kind: 'invalid', reason: /not a sha256 digest/ },
    },
    {
      name: 'an event without a target',
      input: { id: 'evt-1', timestamp: 't', action: 'push' },
      want: { kind: 'invalid', reason: /target/ },
    },
    {
      name: 'an event without a repository',
      input: event({ target: { repository: undefined } }),
      want: { kind: 'invalid', reason: /target\.repository/ },
    },
    {
      name: 'a repository name with CR/LF',
      input: event({ target: { repository: 'hello\r\nforged line' } }),
      want: { kind: 'invalid', reason: /^target\.repository: "hello\\r\\nforged line" is not a repository name/ },
    },
    {
      name: 'a repository name of 256 characters',
      input: event({ target: { repository: 'a'.repeat(256) } }),
      want: { kind: 'invalid', reason: /^target\.repository: a repository name has 2 to 255 characters/ },
    },
    { name: 'an event without an id', input: { ...event(), id: undefined }, want: { kind: 'invalid', reason: /id/ } },
    { name: 'a string instead of an event', input: 'push', want: { kind: 'invalid', reason: /\(event\)/ } },
    { name: 'null', input: null, want: { kind: 'invalid', reason: /\(event\)/ } },
  ];

  for (const { name, input, want } of cases) {
    describe(`when given ${name}`, () => {
      it(want.kind === 'push' ? 'maps it to a push' : `says ${want.kind} and why`, () => {
        const outcome = readRegistryEvent(input, origin);
        expect(outcome.kind).toBe(want.kind);
        if (outcome.kind === 'push') {
          expect(outcome.event.detail).toEqual({
            result: 'SUCCESS',
            'repository-name': 'hello',
            'image-digest': DIGEST,
            'action-type': 'PUSH',
            'image-tag': '2.7-arm64',
            'manifest-media-type': want.mediaType,
          });
          expect(outcome.id).toBe('evt-1');
        } else {
          expect(outcome.reason).toMatch(want.reason ?? /./);
        }
      });
    });
  }

  describe('when its push is read by the on-image-push handler', () => {
    it('is a valid ECR Image Action whose push names the same repository, digest, tag and media type', () => {
      const outcome = readRegistryEvent(event(), origin);
      if (outcome.kind !== 'push') throw new Error(`expected a push, got ${outcome.kind}: ${outcome.reason}`);
      const reading = readEcrImageAction(parseEcrImageActionEvent(outcome.event));
      expect(reading).toEqual({
        kind: 'push',
        push: {
          repository: 'hello',
          digest: DIGEST,
          tag: '2.7-arm64',
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          eventId: 'evt-1',
        },
      });
    });
  });

  describe('when the timestamp does not parse', () => {
    it('passes it on unchanged rather than dropping the push', () => {
      const outcome = readRegistryEvent({ ...event(), timestamp: 'yesterday' }, origin);
      expect(outcome.kind === 'push' && outcome.event.time).toBe('yesterday');
    });
  });

  describe('when an invalid event still has an id', () => {
    it('reports the id so the log line can name it', () => {
      expect(readRegistryEvent({ id: 'evt-9', action: 'push' }, origin)).toMatchObject({ kind: 'invalid', id: 'evt-9' });
    });
  });
});

describe('RegistryEnvelopeSchema', () => {
  const cases: Array<{ name: string; input: unknown; ok: boolean }> = [
    { name: 'an envelope with events', input: { events: [{}] }, ok: true },
    { name: 'an empty envelope', input: { events: [] }, ok: true },
    { name: 'no events key', input: { event: [] }, ok: false },
    { name: 'events not an array', input: { events: {} }, ok: false },
    { name: 'an array', input: [], ok: false },
  ];
  for (const { name, input, ok } of cases) {
    it(`${ok ? 'accepts' : 'refuses'} ${name}`, () => {
      expect(RegistryEnvelopeSchema.safeParse(input).success).toBe(ok);
    });
  }
});
