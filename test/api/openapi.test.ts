import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';
import {
  backfillPlanResponseSchema,
  backfillRunResponseSchema,
  healthResponseSchema,
  problemDetailsSchema,
  reconcileReportResponseSchema,
  reconcileReportsResponseSchema,
  repositoryConfigResponseSchema,
  repositoryListResponseSchema,
  republishReportResponseSchema,
  versionPageResponseSchema,
  versionStatusResponseSchema,
} from '../../src/api/response-schemas.ts';
import { matchRoute, ROUTE_METHODS } from '../../src/api/routes.ts';
import type { VersionStatus } from '../../src/core/version-status.ts';
import { createApiHandler } from '../../src/handlers/api.ts';
import { createOnImagePushHandler } from '../../src/handlers/on-image-push.ts';
import { apiEvent, ecrPushEvent, type Harness, lambdaContext, makeHarness } from '../handlers/handler-harness.ts';

type Operation = { operationId: string; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> };
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Record<string, unknown>> } };

const document = buildOpenApiDocument() as unknown as Document;
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'] as const;
const examplePath = (template: string) => template.replace('{repository}', 'team/hello').replace('{version}', '2.7');

/** The operations of the document as `METHOD /path template`. */
const documented = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.keys(item).map((method) => ({ method: method.toUpperCase(), path })),
);

type DeepReadonly<T> =
  T extends ReadonlyArray<infer U>
    ? ReadonlyArray<DeepReadonly<U>>
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

// Compile-time: what the API builds fits the documented schema. (The CLI reads answers with readers
// built from these same schemas: test/cli/api-types.test.ts pins how.)
const statusFitsDocument: DeepReadonly<z.output<typeof versionStatusResponseSchema>> = {} as VersionStatus;
void statusFitsDocument;

describe('the OpenAPI document', () => {
  it('passes the OpenAPI 3.1 schema validator', async () => {
    const result = await new Validator().validate(buildOpenApiDocument());
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document).toMatchObject({ openapi: '3.1.0' });
  });

  it('documents every operation the router serves, and nothing it does not', () => {
    const fromRouter = Object.entries(ROUTE_METHODS)
      .flatMap(([name, methods]) => methods.map((method) => `${method} ${name}`))
      .sort();
    const fromDocument = documented
      .map(({ method, path }) => {
        const match = matchRoute(method, examplePath(path));
        if (match.kind !== 'route') throw new Error(`${method} ${path} is documented but the router answers ${match.kind}`);
        return `${method} ${match.route.name}`;
      })
      .sort();
    expect(fromDocument).toEqual(fromRouter);
  });

  it('lists, for every documented path, exactly the methods the router allows there', () => {
    for (const path of Object.keys(document.paths)) {
      const allowed = Object.keys(document.paths[path] ?? {})
        .map((m) => m.toUpperCase())
        .sort();
      for (const method of METHODS.filter((m) => !allowed.includes(m))) {
        const match = matchRoute(method, examplePath(path));
        expect(match.kind, `${method} ${path}`).toBe('method-not-allowed');
        if (match.kind === 'method-not-allowed') expect([...match.allowed].sort()).toEqual(allowed);
      }
    }
  });

  it('describes every error as problem+json', () => {
    for (const { method, path } of documented) {
      const responses = document.paths[path]?.[method.toLowerCase()]?.responses ?? {};
      const errors = Object.entries(responses).filter(([status]) => Number(status) >= 400);
      expect(errors.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [, response] of errors)
        expect(response.content?.['application/problem+json']?.schema.$ref).toBe('#/components/schemas/Problem');
    }
  });

  it('takes request bodies from the schemas the API validates with: unknown fields refused, required ones required', () => {
    expect(document.components.schemas.RepositoryConfigInput).toMatchObject({
      type: 'object',
      required: ['requiredPlatforms'],
      additionalProperties: false,
    });
    expect(document.components.schemas.BackfillRequest).toMatchObject({
      additionalProperties: false,
      properties: { republish: { type: 'boolean' } },
    });
    // Answers may grow: no additionalProperties: false anywhere in them.
    expect(JSON.stringify(document.components.schemas.VersionStatus)).not.toContain('"additionalProperties":false');
  });
});

/** Component name → the zod schema it was generated from, to check real answers against. */
const SCHEMAS: Record<string, z.ZodMiniType> = {
  Health: healthResponseSchema,
  RepositoryConfig: repositoryConfigResponseSchema,
  RepositoryList: repositoryListResponseSchema,
  VersionStatus: versionStatusResponseSchema,
  VersionPage: versionPageResponseSchema,
  ReconcileReport: reconcileReportResponseSchema,
  ReconcileReports: reconcileReportsResponseSchema,
  BackfillRun: backfillRunResponseSchema,
  BackfillPlan: backfillPlanResponseSchema,
  RepublishReport: republishReportResponseSchema,
  Problem: problemDetailsSchema,
};

describe('the answers of the API (real middy pipeline)', () => {
  async function scenario(): Promise<Harness> {
    const h = makeHarness();
    const handler = createApiHandler(h.deps, { timeoutEarlyInMillis: 0 });
    await handler(
      apiEvent('PUT', '/v1/repositories/team/hello/config', { body: { requiredPlatforms: ['linux/amd64', 'linux/arm64'] } }),
      lambdaContext,
    );
    const onPush = createOnImagePushHandler(h.deps);
    for (const [version, arch] of [
      ['2.7', 'amd64'],
      ['2.7', 'arm64'],
      ['2.8', 'amd64'],
    ] as const) {
      const { digest } = h.registry.addImage('team/hello', { platform: `linux/${arch}`, tag: `${version}-${arch}` }).manifest;
      await onPush(ecrPushEvent('team/hello', digest, `${version}-${arch}`), lambdaContext);
    }
    return h;
  }

  /** One call per documented operation (backfill three ways), with the schema its answer must fit. */
  const calls: Array<[string, string, { body?: unknown; query?: string }, string]> = [
    ['GET', '/v1/health', {}, 'Health'],
    ['GET', '/v1/repositories', {}, 'RepositoryList'],
    ['GET', '/v1/repositories/team/hello/config', {}, 'RepositoryConfig'],
    ['PUT', '/v1/repositories/team/hello/config', { body: { requiredPlatforms: ['linux/amd64', 'linux/arm64'] } }, 'RepositoryConfig'],
    ['GET', '/v1/repositories/team/hello/versions', { query: 'limit=10' }, 'VersionPage'],
    ['GET', '/v1/repositories/team/hello/versions/2.7', {}, 'VersionStatus'],
    ['POST', '/v1/repositories/team/hello/versions/2.7/publish', { body: {} }, 'VersionStatus'],
    ['POST', '/v1/repositories/team/hello/reconcile', { body: {} }, 'ReconcileReport'],
    ['POST', '/v1/reconcile', { body: {} }, 'ReconcileReports'],
    ['POST', '/v1/repositories/team/hello/backfill', { body: {} }, 'BackfillRun'],
    ['POST', '/v1/repositories/team/hello/backfill', { body: { dryRun: true } }, 'BackfillPlan'],
    ['POST', '/v1/repositories/team/hello/backfill', { body: { republish: true, dryRun: true } }, 'RepublishReport'],
    ['POST', '/v1/repositories/team/hello/versions/2.8/publish', { body: {} }, 'Problem'],
    ['GET', '/v1/repositories/team/hello/versions/9.9', {}, 'Problem'],
    ['PUT', '/v1/repositories/team/hello/config', { body: { colour: 'blue' } }, 'Problem'],
  ];

  it.each(calls)('%s %s %j fits %s, the schema the document names for its status', async (method, path, options, schemaName) => {
    const h = await scenario();
    const response = await createApiHandler(h.deps, { timeoutEarlyInMillis: 0 })(apiEvent(method, path, options), lambdaContext);
    const template = Object.keys(document.paths).find((p) => {
      const match = matchRoute(method, examplePath(p));
      const actual = matchRoute(method, path);
      return match.kind === 'route' && actual.kind === 'route' && match.route.name === actual.route.name;
    });
    const documentedResponse = document.paths[template ?? '']?.[method.toLowerCase()]?.responses[String(response.statusCode)];
    expect(documentedResponse, `status ${response.statusCode} of ${method} ${template}`).toBeDefined();
    const media = Object.keys(documentedResponse?.content ?? {})[0];
    expect(response.headers?.['content-type']).toBe(media);
    const ref = documentedResponse?.content?.[media ?? '']?.schema.$ref;
    // BackfillResult is the union of the three backfill answers: the call names which one it is.
    expect(
      ref === '#/components/schemas/BackfillResult' ? ['BackfillRun', 'BackfillPlan', 'RepublishReport'] : [ref?.split('/').pop()],
    ).toContain(schemaName);
    const parsed = SCHEMAS[schemaName]!.safeParse(JSON.parse(response.body ?? 'null'));
    expect(parsed.error?.issues).toBeUndefined();
  });

  it('serves the document at GET /v1/openapi.json', async () => {
    const response = await createApiHandler(makeHarness().deps, { timeoutEarlyInMillis: 0 })(
      apiEvent('GET', '/v1/openapi.json'),
      lambdaContext,
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual(buildOpenApiDocument());
  });
});
