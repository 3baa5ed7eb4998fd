import { describe, expect, it } from 'vitest';
import { formatRepositoryRef, parseRepositoryRef } from '../../src/cli/repository-ref.ts';

describe('parseRepositoryRef', () => {
  const cases = [
    { input: 'hello', want: { repository: 'hello' } },
    { input: 'team/hello', want: { repository: 'team/hello' } },
    { input: 'team/sub-team/hello_world:2.7-rc1', want: { repository: 'team/sub-team/hello_world', version: '2.7-rc1' } },
    { input: 'a.b__c---d/e:V_1.0', want: { repository: 'a.b__c---d/e', version: 'V_1.0' } },
    { input: '', wantErr: /repository name is empty/ },
    { input: 'h:1', wantErr: /2 to 255 characters/ },
    { input: `${'a'.repeat(255)}:1`, want: { repository: 'a'.repeat(255), version: '1' } },
    { input: `${'a'.repeat(256)}`, wantErr: /2 to 255 characters/ },
    { input: ':2.7', wantErr: /repository name is empty/ },
    { input: 'Team/hello', wantErr: /is not a repository name/ },
    { input: 'team//hello', wantErr: /is not a repository name/ },
    { input: '/hello', wantErr: /is not a repository name/ },
    { input: 'team/../x', wantErr: /is not a repository name/ },
    { input: 'hello?x=1', wantErr: /is not a repository name/ },
    { input: 'hello:', wantErr: /is not a version/ },
    { input: 'hello:.hidden', wantErr: /is not a version/ },
    { input: 'hello:2.7:extra', wantErr: /is not a version/ },
  ];
  it.each(cases)('$input', ({ input, want, wantErr }) => {
    if (wantErr) {
      expect(() => parseRepositoryRef(input)).toThrow(wantErr);
    } else {
      expect(parseRepositoryRef(input)).toEqual(want);
      expect(formatRepositoryRef(parseRepositoryRef(input))).toBe(input);
    }
  });
});
