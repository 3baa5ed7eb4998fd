import { describe, expect, it } from 'vitest';
import { matchRoute, type RouteMatch } from '../../src/api/routes.ts';

describe('matchRoute', () => {
  const cases: Array<{ name: string; method: string; path: string; want: RouteMatch }> = [
    { name: 'health', method: 'GET', path: '/v1/health', want: { kind: 'route', route: { name: 'health' } } },
    { name: 'a trailing slash', method: 'GET', path: '/v1/health/', want: { kind: 'route', route: { name: 'health' } } },
    { name: 'lower-case method', method: 'get', path: '/v1/repositories', want: { kind: 'route', route: { name: 'list-repositories' } } },
    { name: 'reconcile all', method: 'POST', path: '/v1/reconcile', want: { kind: 'route', route: { name: 'reconcile-all' } } },
    {
      name: 'config of a nested repository',
      method: 'PUT',
      path: '/v1/repositories/team/sub/hello/config',
      want: { kind: 'route', route: { name: 'config', repository: 'team/sub/hello' } },
    },
    {
      name: 'a repository named like a keyword',
      method: 'GET',
      path: '/v1/repositories/versions/versions',
      want: { kind: 'route', route: { name: 'list-versions', repository: 'versions' } },
    },
    {
      name: 'a repository ending in /versions',
      method: 'GET',
      path: '/v1/repositories/team/versions/versions/2.7',
      want: { kind: 'route', route: { name: 'version', repository: 'team/versions', version: '2.7' } },
    },
    {
      name: 'publish',
      method: 'POST',
      path: '/v1/repositories/hello/versions/2.7/publish',
      want: { kind: 'route', route: { name: 'publish', repository: 'hello', version: '2.7' } },
    },
    {
      name: 'reconcile one',
      method: 'POST',
      path: '/v1/repositories/team/hello/reconcile',
      want: { kind: 'route', route: { name: 'reconcile', repository: 'team/hello' } },
    },
    {
      name: 'backfill',
      method: 'POST',
      path: '/v1/repositories/hello/backfill',
      want: { kind: 'route', route: { name: 'backfill', repository: 'hello' } },
    },
    {
      name: 'percent-encoded segments are decoded',
      method: 'GET',
      path: '/v1/repositories/team%2Fhello/versions/2%2E7',
      want: { kind: 'route', route: { name: 'version', repository: 'team/hello', version: '2.7' } },
    },
    {
      name: 'a malformed escape is kept for validation to refuse',
      method: 'GET',
      path: '/v1/repositories/he%ZZ/config',
      want: { kind: 'route', route: { name: 'config', repository: 'he%ZZ' } },
    },
    {
      name: 'wrong method on config',
      method: 'POST',
      path: '/v1/repositories/hello/config',
      want: { kind: 'method-not-allowed', allowed: ['GET', 'PUT', 'DELETE'] },
    },
    {
      name: 'wrong method on publish',
      method: 'GET',
      path: '/v1/repositories/hello/versions/2.7/publish',
      want: { kind: 'method-not-allowed', allowed: ['POST'] },
    },
    {
      name: 'wrong method on reconcile all',
      method: 'GET',
      path: '/v1/reconcile',
      want: { kind: 'method-not-allowed', allowed: ['POST'] },
    },
    { name: 'no repository before /config', method: 'GET', path: '/v1/repositories//config', want: { kind: 'not-found' } },
    { name: 'a repository without a keyword', method: 'GET', path: '/v1/repositories/hello', want: { kind: 'not-found' } },
    { name: 'a version with a slash', method: 'GET', path: '/v1/repositories/hello/versions/2.7/x/y', want: { kind: 'not-found' } },
    { name: 'another API version', method: 'GET', path: '/v2/health', want: { kind: 'not-found' } },
    { name: 'the root', method: 'GET', path: '/', want: { kind: 'not-found' } },
    { name: 'empty', method: 'GET', path: '', want: { kind: 'not-found' } },
  ];
  for (const { name, method, path, want } of cases) {
    it(`${name}: ${method} ${path || '(empty)'}`, () => {
      expect(matchRoute(method, path)).toEqual(want);
    });
  }
});
