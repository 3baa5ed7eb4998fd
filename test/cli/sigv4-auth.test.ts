import { describe, expect, it } from 'vitest';
import { SigV4Auth } from '../../src/cli/sigv4-auth.ts';

// The AWS SigV4 test suite's example credentials and time (get-vanilla and friends): service
// `service`, region us-east-1, host example.amazonaws.com, 2015-08-30T12:36:00Z. The expected
// values are the suite's published ones.
// @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
const SUITE = {
  region: 'us-east-1',
  service: 'service',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  now: () => new Date('2015-08-30T12:36:00Z'),
};
const SCOPE = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date';

describe('SigV4Auth', () => {
  describe('with the AWS test suite vectors', () => {
    const cases = [
      {
        name: 'get-vanilla',
        method: 'GET',
        url: 'https://example.amazonaws.com/',
        signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      {
        name: 'get-vanilla-query-order-key-case',
        method: 'GET',
        url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
        signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
      },
      {
        name: 'post-vanilla',
        method: 'POST',
        url: 'https://example.amazonaws.com/',
        signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
      },
    ];
    it.each(cases)('signs $name as published', async ({ method, url, signature }) => {
      const headers = await new SigV4Auth(SUITE).authorize({ method, url: new URL(url), headers: {} });
      expect(headers.authorization).toBe(`${SCOPE}, Signature=${signature}`);
      expect(headers['x-amz-date']).toBe('20150830T123600Z');
      expect(headers.host).toBe('example.amazonaws.com');
      // API Gateway does not want the payload hash header (the signer's applyChecksum is off).
      expect(headers['x-amz-content-sha256']).toBeUndefined();
    });
  });

  describe('with temporary credentials', () => {
    it('sends and signs the session token', async () => {
      const auth = new SigV4Auth({ ...SUITE, credentials: { ...SUITE.credentials, sessionToken: 'session-token-example' } });
      const headers = await auth.authorize({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} });
      expect(headers['x-amz-security-token']).toBe('session-token-example');
      expect(headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
    });
  });

  describe('with a body, a port and the execute-api service', () => {
    it('signs the host with its port, the content type, and a different signature for a different body', async () => {
      const auth = new SigV4Auth({ ...SUITE, service: undefined });
      const request = (body: string) => ({
        method: 'PUT',
        url: new URL('http://127.0.0.1:8080/v1/repositories/team/hello/config'),
        headers: { 'content-type': 'application/json' },
        body,
      });
      const a = await auth.authorize(request('{"requiredPlatforms":["linux/amd64"]}'));
      const b = await auth.authorize(request('{"requiredPlatforms":["linux/arm64"]}'));
      expect(a.host).toBe('127.0.0.1:8080');
      expect(a.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/us-east-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
      );
      expect(a.authorization).not.toBe(b.authorization);
    });
  });

  describe('when the credential chain finds nothing', () => {
    it('fails with a message that says signing failed', async () => {
      const auth = new SigV4Auth({
        ...SUITE,
        credentials: async () => {
          throw new Error('Could not load credentials from any providers');
        },
      });
      await expect(auth.authorize({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} })).rejects.toThrow(
        /cannot sign the request with SigV4: Could not load credentials from any providers/,
      );
    });
  });
});
