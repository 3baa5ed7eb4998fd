import { describe, expect, it } from 'vitest';
import {
  backfillBodySchema,
  listVersionsQuerySchema,
  parseWith,
  reconcileAllBodySchema,
  repositoryConfigBodySchema,
  repositoryNameSchema,
  versionSchema,
} from '../../src/api/schemas.ts';
import { InvalidInputError } from '../../src/core/errors.ts';

function errorOf(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('parseWith', () => {
  const cases: Array<{ name: string; run: () => unknown; want?: unknown; field?: string; message?: RegExp }> = [
    { name: 'a valid name', run: () => parseWith(repositoryNameSchema, 'team/hello', 'repository'), want: 'team/hello' },
    {
      name: 'a bad name',
      run: () => parseWith(repositoryNameSchema, 'Team', 'repository'),
      field: 'repository',
      message: /^repository: "Team" is not a repository name: lower-case path components/,
    },
    {
      name: 'a name of 2 to 255 characters',
      run: () => parseWith(repositoryNameSchema, 'a', 'repository'),
      field: 'repository',
      message: /2 to 255/,
    },
    { name: 'a name of 255 characters', run: () => parseWith(repositoryNameSchema, 'a'.repeat(255), 'repository'), want: 'a'.repeat(255) },
    {
      name: 'a name of 256 characters',
      run: () => parseWith(repositoryNameSchema, 'a'.repeat(256), 'repository'),
      field: 'repository',
      message: /^repository: a repository name has 2 to 255 characters \(this one has 256\)$/,
    },
    {
      name: 'a bad version',
      run: () => parseWith(versionSchema, '.x', 'version'),
      field: 'version',
      message: /^version: a version must be a valid tag/,
    },
    {
      name: 'an unknown field',
      run: () => parseWith(repositoryConfigBodySchema, { requiredPlatforms: ['linux/amd64'], colour: 1 }, 'body'),
      field: 'body.colour',
      message: /^body\.colour: is not a known field$/,
    },
    {
      name: 'an item of an array',
      run: () => parseWith(repositoryConfigBodySchema, { requiredPlatforms: ['linux/amd64', 3] }, 'body'),
      field: 'body.requiredPlatforms[1]',
    },
    {
      name: 'a map key that is empty',
      run: () =>
        parseWith(repositoryConfigBodySchema, { requiredPlatforms: ['linux/amd64'], platformOverrides: { '': 'linux/arm64' } }, 'body'),
      field: 'body.platformOverrides[""]',
    },
    {
      name: 'a map value of the wrong type',
      run: () => parseWith(repositoryConfigBodySchema, { requiredPlatforms: ['linux/amd64'], platformOverrides: { arm: 7 } }, 'body'),
      field: 'body.platformOverrides.arm',
    },
    {
      name: 'a map key constructor',
      run: () =>
        parseWith(
          repositoryConfigBodySchema,
          { requiredPlatforms: ['linux/amd64'], platformOverrides: { constructor: 'linux/arm64' } },
          'body',
        ),
      want: { requiredPlatforms: ['linux/amd64'], platformOverrides: { constructor: 'linux/arm64' } },
    },
    {
      name: 'a map key __proto__',
      run: () =>
        parseWith(
          repositoryConfigBodySchema,
          JSON.parse('{"requiredPlatforms":["linux/amd64"],"platformOverrides":{"__proto__":"linux/arm64"}}'),
          'body',
        ),
      field: 'body.platformOverrides.__proto__',
      message: /cannot be a key/,
    },
    {
      name: 'a field with a dot',
      run: () => parseWith(repositoryConfigBodySchema, { requiredPlatforms: ['linux/amd64'], 'a.b': 1 }, 'body'),
      field: 'body["a.b"]',
    },
    { name: 'the whole value', run: () => parseWith(repositoryConfigBodySchema, [], 'body'), field: 'body' },
    { name: 'a query limit as text', run: () => parseWith(listVersionsQuerySchema, { limit: '20' }, 'query'), want: { limit: 20 } },
    { name: 'a query limit too large', run: () => parseWith(listVersionsQuerySchema, { limit: '500' }, 'query'), field: 'query.limit' },
    { name: 'a bad state', run: () => parseWith(listVersionsQuerySchema, { state: 'done' }, 'query'), field: 'query.state' },
    { name: 'a backfill cursor of null', run: () => parseWith(backfillBodySchema, { cursor: null }, 'body'), want: { cursor: null } },
    { name: 'an empty reconcile-all body', run: () => parseWith(reconcileAllBodySchema, {}, 'body'), want: {} },
    {
      name: 'a reconcile-all body with a field',
      run: () => parseWith(reconcileAllBodySchema, { dryRun: true }, 'body'),
      field: 'body.dryRun',
    },
  ];
  for (const { name, run, want, field, message } of cases) {
    it(name, () => {
      if (field === undefined) {
        expect(run()).toEqual(want);
        return;
      }
      const error = errorOf(run);
      expect(error.field).toBe(field);
      expect(error.details).toMatchObject({ field });
      expect(error.message.startsWith(`${field}: `)).toBe(true);
      if (message) expect(error.message).toMatch(message);
    });
  }
});
