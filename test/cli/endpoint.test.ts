import { describe, expect, it } from 'vitest';
import { chooseAuth, isLoopbackHost, parseApiUrl, regionFromHost } from '../../src/cli/endpoint.ts';

describe('regionFromHost', () => {
  const cases = [
    { host: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com', want: 'eu-west-1' },
    { host: 'A1B2C3D4E5.EXECUTE-API.US-EAST-2.AMAZONAWS.COM', want: 'us-east-2' },
    { host: 'abc.execute-api.cn-north-1.amazonaws.com.cn', want: 'cn-north-1' },
    { host: 'api.example.com', want: undefined },
    { host: 'abc.execute-api.eu-west-1.amazonaws.com.evil.example', want: undefined },
    { host: '127.0.0.1', want: undefined },
  ];
  it.each(cases)('$host → $want', ({ host, want }) => {
    expect(regionFromHost(host)).toBe(want);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['[::1]', true],
    ['10.0.0.1', false],
    ['api.example.com', false],
  ])('%s → %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });
});

describe('chooseAuth', () => {
  const deployed = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod');
  const cases = [
    {
      name: 'a local URL uses the bearer token',
      input: { url: new URL('http://127.0.0.1:8080'), forceSigV4: false, envRegion: 'us-east-1' },
      want: { kind: 'bearer' },
    },
    {
      name: 'an execute-api host signs for its own region',
      input: { url: deployed, forceSigV4: false, envRegion: 'us-east-1' },
      want: { kind: 'sigv4', region: 'eu-west-1' },
    },
    {
      name: '--region beats the host',
      input: { url: deployed, forceSigV4: false, regionOption: 'eu-central-1' },
      want: { kind: 'sigv4', region: 'eu-central-1' },
    },
    {
      name: '--sigv4 on a custom domain takes the environment region',
      input: { url: new URL('https://api.example.com'), forceSigV4: true, envRegion: 'ap-south-1' },
      want: { kind: 'sigv4', region: 'ap-south-1' },
    },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(chooseAuth(input)).toEqual(want);
  });

  it('refuses SigV4 without any region', () => {
    expect(() => chooseAuth({ url: new URL('https://api.example.com'), forceSigV4: true, envRegion: '' })).toThrow(
      /needs a region: pass --region or set AWS_REGION/,
    );
  });
});

describe('parseApiUrl', () => {
  it('accepts http and https URLs with a path', () => {
    expect(parseApiUrl('https://abc.execute-api.eu-west-1.amazonaws.com/prod').pathname).toBe('/prod');
  });
  it.each([
    ['not a url', /is not a URL/],
    ['ftp://127.0.0.1', /must be an http or https URL/],
    ['http://127.0.0.1:8080/?x=1', /must not have a query/],
    ['http://user:secret@127.0.0.1:8080', /must not carry credentials/],
  ])('refuses %s', (text, message) => {
    expect(() => parseApiUrl(text)).toThrow(message);
  });
});
