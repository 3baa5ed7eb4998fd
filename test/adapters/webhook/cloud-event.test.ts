import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCloudEvent, signBody } from '../../../src/adapters/webhook/cloud-event.ts';
import { redactUrl } from '../../../src/adapters/webhook/redact-url.ts';
import type { VersionEvent } from '../../../src/core/version-events.ts';

const event: VersionEvent = {
  id: 'c0ffee00-0000-8000-8000-000000000001',
  outcome: 'conflict',
  time: '2026-11-27T10:00:01.000Z',
  data: {
    repository: 'team/hello',
    version: '2.7',
    state: 'conflict',
    digest: null,
    mediaType: null,
    tags: [],
    platforms: ['linux/amd64'],
    missingPlatforms: ['linux/arm64'],
    error: '2.7-amd64 and 2.7-x86 both claim platform linux/amd64',
    revision: 3,
  },
};

describe('formatCloudEvent', () => {
  it('gives the exact CloudEvents 1.0 JSON body, registry URL as source and its host as data.registry', () => {
    expect(formatCloudEvent(event, 'http://127.0.0.1:5000')).toBe(
      '{"specversion":"1.0","id":"c0ffee00-0000-8000-8000-000000000001","source":"http://127.0.0.1:5000",' +
        '"type":"io.manifest-assembler.version.conflict","subject":"team/hello:2.7","time":"2026-11-27T10:00:01.000Z",' +
        '"datacontenttype":"application/json","data":{"repository":"team/hello","version":"2.7","state":"conflict","digest":null,' +
        '"mediaType":null,"tags":[],"platforms":["linux/amd64"],"missingPlatforms":["linux/arm64"],' +
        '"error":"2.7-amd64 and 2.7-x86 both claim platform linux/amd64","registry":"127.0.0.1:5000","revision":3}}',
    );
  });
});

describe('signBody', () => {
  it('is sha256= and the hex HMAC-SHA256 of the body under the secret (RFC 4231 test case 2)', () => {
    expect(signBody('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
  it('covers every byte of the body, UTF-8 encoded', () => {
    const body = '{"error":"tag ✓ moved"}';
    expect(signBody(body, 'k')).toBe(`sha256=${createHmac('sha256', 'k').update(Buffer.from(body, 'utf8')).digest('hex')}`);
    expect(signBody(`${body} `, 'k')).not.toBe(signBody(body, 'k'));
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://127.0.0.1:9000/events', 'http://127.0.0.1:9000/events'],
    ['https://user:pw@hooks.example.com/x', 'https://hooks.example.com/x (credentials or query hidden)'],
    ['https://hooks.example.com/x?token=abc', 'https://hooks.example.com/x (credentials or query hidden)'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
