import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.ts';
import { formatRepositoryName, parseRepositoryName, RepositoryNameLimits, repositoryNameProblem } from '../../src/core/repository-name.ts';

/** A valid name of exactly `length` characters: `a…a/b…b` (two components, so `/` is in it too). */
function nameOfLength(length: number): string {
  const first = Math.floor((length - 1) / 2);
  return `${'a'.repeat(first)}/${'b'.repeat(length - 1 - first)}`;
}

describe('parseRepositoryName', () => {
  const cases: Array<{ name: string; input: string; want?: string[]; wantErr?: RegExp }> = [
    { name: 'one component', input: 'hello', want: ['hello'] },
    { name: 'a namespace', input: 'team/hello', want: ['team', 'hello'] },
    { name: 'every separator', input: 'a.b_c__d-e---f/g1', want: ['a.b_c__d-e---f', 'g1'] },
    { name: 'two characters (the least)', input: 'ab', want: ['ab'] },
    { name: '255 characters (the most)', input: nameOfLength(255), want: nameOfLength(255).split('/') },
    { name: 'empty', input: '', wantErr: /^repository: the repository name is empty; it must be lower-case path components/ },
    { name: 'one character', input: 'h', wantErr: /^repository: a repository name has 2 to 255 characters \(this one has 1\)$/ },
    {
      name: '256 characters',
      input: nameOfLength(256),
      wantErr: /^repository: a repository name has 2 to 255 characters \(this one has 256\)$/,
    },
    { name: 'upper case', input: 'Team/hello', wantErr: /^repository: "Team\/hello" is not a repository name: lower-case path components/ },
    { name: 'an empty component', input: 'team//hello', wantErr: /is not a repository name/ },
    { name: 'a leading slash', input: '/hello', wantErr: /is not a repository name/ },
    { name: 'a trailing slash', input: 'hello/', wantErr: /is not a repository name/ },
    { name: 'a path trick', input: 'team/../x', wantErr: /is not a repository name/ },
    { name: 'a query', input: 'hello?x=1', wantErr: /is not a repository name/ },
    { name: 'three underscores', input: 'a___b', wantErr: /is not a repository name/ },
    { name: 'a leading separator', input: '-hello', wantErr: /is not a repository name/ },
    { name: 'a trailing dot', input: 'hello.', wantErr: /is not a repository name/ },
    { name: 'a colon (a tag)', input: 'hello:2.7', wantErr: /is not a repository name/ },
    { name: 'a CR/LF', input: 'hello\r\nforged', wantErr: /is not a repository name/ },
  ];
  it.each(cases)('$name', ({ input, want, wantErr }) => {
    if (wantErr !== undefined) {
      let error: unknown;
      try {
        parseRepositoryName(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe('repository');
      expect((error as Error).message).toMatch(wantErr);
      expect(repositoryNameProblem(input)).toBeDefined();
      return;
    }
    const parsed = parseRepositoryName(input);
    expect(parsed.components).toEqual(want);
    expect(formatRepositoryName(parsed)).toBe(input);
    expect(repositoryNameProblem(input)).toBeUndefined();
  });

  it('names the field it is given', () => {
    expect(() => parseRepositoryName('Hello', 'target.repository')).toThrow(/^target\.repository: /);
  });

  it('shortens a long bad name in the message, keeping its length visible', () => {
    const message = repositoryNameProblem(`${'A'.repeat(200)}`) ?? '';
    expect(message.length).toBeLessThan(260);
    expect(message).toContain('…');
  });

  it('states the limits once', () => {
    expect(RepositoryNameLimits).toEqual({ minLength: 2, maxLength: 255 });
  });
});

describe('formatRepositoryName', () => {
  it.each(['hello', 'team/hello', 'a.b/c__d/e--f'])('round-trips %s', (text) => {
    expect(formatRepositoryName(parseRepositoryName(text))).toBe(text);
  });
});
