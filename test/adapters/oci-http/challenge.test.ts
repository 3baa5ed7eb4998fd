import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../../src/adapters/oci-http/challenge.ts';

describe('parseChallenges', () => {
  const cases: Array<{ name: string; input: string; want: ReturnType<typeof parseChallenges> }> = [
    { name: 'Basic with a realm', input: 'Basic realm="Registry Realm"', want: [{ scheme: 'basic', params: { realm: 'Registry Realm' } }] },
    {
      name: "distribution's Bearer challenge",
      input: 'Bearer realm="http://127.0.0.1:5001/token",service="registry",scope="repository:team/app:pull,push"',
      want: [
        { scheme: 'bearer', params: { realm: 'http://127.0.0.1:5001/token', service: 'registry', scope: 'repository:team/app:pull,push' } },
      ],
    },
    {
      name: 'spaces, unquoted values and upper-case names',
      input: 'BEARER Realm = https://auth.example/token , Service="svc"',
      want: [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'svc' } }],
    },
    {
      name: 'two challenges in one header',
      input: 'Basic realm="a", Bearer realm="https://b/token",service="b"',
      want: [
        { scheme: 'basic', params: { realm: 'a' } },
        { scheme: 'bearer', params: { realm: 'https://b/token', service: 'b' } },
      ],
    },
    { name: 'escaped quotes', input: 'Basic realm="say \\"hi\\""', want: [{ scheme: 'basic', params: { realm: 'say "hi"' } }] },
    { name: 'an empty header', input: '', want: [] },
    { name: 'parameters without a scheme', input: 'realm="x"', want: [] },
  ];
  it.each(cases)('reads $name', ({ input, want }) => {
    expect(parseChallenges(input)).toEqual(want);
  });
});
