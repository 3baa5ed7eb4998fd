import * as z from 'zod/mini';
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
  versionHistoryResponseSchema,
  versionPageResponseSchema,
  versionStatusResponseSchema,
} from './response-schemas.ts';
import type { Route } from './routes.ts';
import {
  backfillBodySchema,
  listVersionsQuerySchema,
  publishBodySchema,
  reconcileAllBodySchema,
  reconcileBodySchema,
  repositoryConfigBodySchema,
  repositoryNameSchema,
  versionSchema,
} from './schemas.ts';

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas the API validates
 * requests with (schemas.ts) and the schemas of its answers (response-schemas.ts), so the document
 * cannot drift from what the code accepts.
 */

type Json = Record<string, unknown>;

/** One operation: a route and a method, with what it takes and answers. */
interface Operation {
  readonly id: string;
  readonly route: Route['name'];
  readonly method: 'get' | 'put' | 'post' | 'delete';
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly query?: z.ZodMiniObject;
  readonly body?: string;
  /** The success status and the component schema of its body (null: no body). */
  readonly ok: readonly [number, string | null];
  readonly errors: readonly number[];
  /** Health and the document itself need no token locally (behind IAM on AWS like every route). */
  readonly open?: boolean;
}

const REPOSITORY = '/v1/repositories/{repository}';
const VERSION = `${REPOSITORY}/versions/{version}`;
/** Every route may answer these: a refused credential, an unexpected failure. */
const ALWAYS = [401, 500] as const;
/** Routes that take a JSON body. */
const BODY = [400, 413, 415] as const;
/** Routes that read one thing of a repository (bad name, not found, store unavailable). */
const READ_ONE = [400, 404, 503] as const;

const OPERATIONS: readonly Operation[] = [
  {
    id: 'getHealth',
    route: 'health',
    method: 'get',
    path: '/v1/health',
    summary: 'Liveness check',
    ok: [200, 'Health'],
    errors: [],
    open: true,
  },
  {
    id: 'getOpenApiDocument',
    route: 'openapi',
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    ok: [200, null],
    errors: [],
    open: true,
  },
  {
    id: 'listRepositories',
    route: 'list-repositories',
    method: 'get',
    path: '/v1/repositories',
    summary: 'List the configured repositories',
    ok: [200, 'RepositoryList'],
    errors: [503],
  },
  {
    id: 'reconcileAll',
    route: 'reconcile-all',
    method: 'post',
    path: '/v1/reconcile',
    body: 'ReconcileAllRequest',
    summary: 'One reconcile pass over every configured repository',
    description: "Stops in time to answer within the API's 30 s; the next call resumes where it stopped.",
    ok: [200, 'ReconcileReports'],
    errors: [...BODY, 503],
  },
  {
    id: 'getConfig',
    route: 'config',
    method: 'get',
    path: `${REPOSITORY}/config`,
    summary: "Read a repository's config",
    ok: [200, 'RepositoryConfig'],
    errors: READ_ONE,
  },
  {
    id: 'putConfig',
    route: 'config',
    method: 'put',
    path: `${REPOSITORY}/config`,
    body: 'RepositoryConfigInput',
    summary: "Set a repository's config",
    description: 'Answers with the stored config, normalised (platforms, defaults). A bad field is a 400 naming it in `field`.',
    ok: [200, 'RepositoryConfig'],
    errors: [...BODY, 503],
  },
  {
    id: 'deleteConfig',
    route: 'config',
    method: 'delete',
    path: `${REPOSITORY}/config`,
    summary: "Remove a repository's config",
    description: 'Pushes to the repository are ignored afterwards; its version records stay.',
    ok: [204, null],
    errors: [400, 503],
  },
  {
    id: 'listVersions',
    route: 'list-versions',
    method: 'get',
    path: `${REPOSITORY}/versions`,
    query: listVersionsQuerySchema,
    summary: 'List versions, one page at a time',
    description:
      'With `state`, a page is one store page filtered: it may hold fewer than `limit` versions (even none) while `cursor` still points further.',
    ok: [200, 'VersionPage'],
    errors: [400, 503],
  },
  {
    id: 'getVersion',
    route: 'version',
    method: 'get',
    path: VERSION,
    summary: 'Everything known about one version',
    description: '404 until a per-arch push of the version has been recorded.',
    ok: [200, 'VersionStatus'],
    errors: READ_ONE,
  },
  {
    id: 'getVersionHistory',
    route: 'history',
    method: 'get',
    path: `${VERSION}/history`,
    summary: 'What happened to one version, with times',
    description:
      'Append-only and bounded (the last 100 entries, oldest first): pushes recorded, publishes, conflicts and their resolution, drift, reconciler repairs.',
    ok: [200, 'VersionHistory'],
    errors: READ_ONE,
  },
  {
    id: 'publishVersion',
    route: 'publish',
    method: 'post',
    path: `${VERSION}/publish`,
    body: 'PublishRequest',
    summary: 'Publish a version now, or re-apply the current config to it',
    description:
      'Publishes if every required platform is there (or what is there, with allowPartial). A version published already ' +
      'gets its index rebuilt from the current config and the images its per-arch tags point at now, and put only if it differs. ' +
      '409 when platforms are missing (the problem carries `missingPlatforms` and `version`) or the version is in conflict; 502 when the registry refused the index.',
    ok: [200, 'VersionStatus'],
    errors: [...BODY, 404, 409, 502, 503],
  },
  {
    id: 'reconcileRepository',
    route: 'reconcile',
    method: 'post',
    path: `${REPOSITORY}/reconcile`,
    body: 'ReconcileRequest',
    summary: 'One reconcile run over a repository',
    description: 'Pass the returned cursor to go on; null when the run reached the end.',
    ok: [200, 'ReconcileReport'],
    errors: [...BODY, 404, 503],
  },
  {
    id: 'backfillRepository',
    route: 'backfill',
    method: 'post',
    path: `${REPOSITORY}/backfill`,
    body: 'BackfillRequest',
    summary: 'Publish the versions already in the registry, or re-apply the config to every version',
    description:
      'Without flags: reconcile runs until the repository is covered (BackfillRun; pass its cursor to go on). With dryRun: the plan, nothing written ' +
      '(BackfillPlan). With republish: the current config re-applied to a page of recorded versions, or with dryRun planned (RepublishReport).',
    ok: [200, 'BackfillResult'],
    errors: [...BODY, 404, 503],
  },
];

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad input; `field` names it',
  401: 'No valid credential (locally: Authorization: Bearer <token>)',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body over 1 MiB',
  415: 'Body not JSON',
  500: 'Unexpected failure; see the service log',
  502: 'The registry failed or refused',
  503: 'Registry or store unavailable, or busy; retry',
};

let cached: Json | undefined;

/** The document, built once per process on first use. */
export function openApiDocument(): Json {
  cached ??= buildOpenApiDocument();
  return cached;
}

/** Builds the whole document from the schemas. */
export function buildOpenApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const operation of OPERATIONS) {
    const item = paths[operation.path] ?? {};
    paths[operation.path] = item;
    item[operation.method] = describeOperation(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'manifest-assembler',
      version: '1.0.0',
      description:
        'Publishes multi-architecture image indexes once every per-arch image of a version has been pushed. Repository names may contain `/` ' +
        'and appear unescaped in paths, as in the OCI distribution API. Errors are RFC 9457 problem+json. Answers may gain fields: ignore those you do not know.',
    },
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        localToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The local runner: the token in the api-token file of its data folder.',
        },
        awsSigV4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'On AWS: API Gateway IAM authorization; sign requests with AWS Signature Version 4 (execute-api:Invoke).',
        },
      },
    },
    security: [{ localToken: [] }, { awsSigV4: [] }],
  };
}

function describeOperation(operation: Operation): Json {
  const parameters = [
    ...(operation.path.includes('{repository}')
      ? [pathParameter('repository', repositoryNameSchema, 'Repository name; may contain `/` (team/hello).')]
      : []),
    ...(operation.path.includes('{version}')
      ? [pathParameter('version', versionSchema, 'The version, as taken from the per-arch tags by tagPattern.')]
      : []),
    ...(operation.query === undefined ? [] : queryParameters(operation.query)),
  ];
  const [okStatus, okSchema] = operation.ok;
  const okContent =
    operation.route === 'openapi'
      ? content({ type: 'object', description: 'An OpenAPI 3.1 document.' })
      : okSchema === null
        ? {}
        : content(ref(okSchema));
  const responses: Json = { [String(okStatus)]: { description: okStatus === 204 ? 'Done; no body' : 'OK', ...okContent } };
  for (const status of [...operation.errors, ...ALWAYS].sort()) {
    responses[String(status)] = { description: STATUS_TEXT[status] ?? 'Error', ...content(ref('Problem'), 'application/problem+json') };
  }
  return {
    operationId: operation.id,
    summary: operation.summary,
    ...(operation.description === undefined ? {} : { description: operation.description }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(operation.body === undefined ? {} : { requestBody: { required: operation.route === 'config', ...content(ref(operation.body)) } }),
    responses,
    ...(operation.open === true ? { security: [{}, { awsSigV4: [] }] } : {}),
  };
}

function pathParameter(name: string, schema: z.ZodMiniType, description: string): Json {
  return { name, in: 'path', required: true, description, schema: jsonSchema(schema, 'input') };
}

function queryParameters(schema: z.ZodMiniObject): Json[] {
  const object = jsonSchema(schema, 'output') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: object.required?.includes(name) ?? false,
    schema: property,
  }));
}

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** A body of one media type: `{ content: { [mediaType]: { schema } } }`, as a request or a response carries it. */
function content(schema: Json, mediaType = 'application/json'): { content: Json } {
  return { content: { [mediaType]: { schema } } };
}

function ref(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * Named schemas, with `$ref`s between them. Answers drop zod's `additionalProperties: false` (the
 * API may add fields); request bodies keep it, because the API refuses unknown fields.
 */
function componentSchemas(): Record<string, Json> {
  const responses = z.registry<{ id: string }>();
  responses.add(healthResponseSchema, { id: 'Health' });
  responses.add(repositoryConfigResponseSchema, { id: 'RepositoryConfig' });
  responses.add(repositoryListResponseSchema, { id: 'RepositoryList' });
  responses.add(versionStatusResponseSchema, { id: 'VersionStatus' });
  responses.add(versionPageResponseSchema, { id: 'VersionPage' });
  responses.add(versionHistoryResponseSchema, { id: 'VersionHistory' });
  responses.add(reconcileReportResponseSchema, { id: 'ReconcileReport' });
  responses.add(reconcileReportsResponseSchema, { id: 'ReconcileReports' });
  responses.add(backfillRunResponseSchema, { id: 'BackfillRun' });
  responses.add(backfillPlanResponseSchema, { id: 'BackfillPlan' });
  responses.add(republishReportResponseSchema, { id: 'RepublishReport' });
  responses.add(z.union([backfillRunResponseSchema, backfillPlanResponseSchema, republishReportResponseSchema]), { id: 'BackfillResult' });
  responses.add(problemDetailsSchema, { id: 'Problem' });
  const requests = z.registry<{ id: string }>();
  requests.add(repositoryConfigBodySchema, { id: 'RepositoryConfigInput' });
  requests.add(publishBodySchema, { id: 'PublishRequest' });
  requests.add(reconcileAllBodySchema, { id: 'ReconcileAllRequest' });
  requests.add(reconcileBodySchema, { id: 'ReconcileRequest' });
  requests.add(backfillBodySchema, { id: 'BackfillRequest' });
  const uri = (id: string) => `#/components/schemas/${id}`;
  const answers = z.toJSONSchema(responses, {
    uri,
    io: 'output',
    override: ({ jsonSchema }) => {
      if (jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
    },
  });
  const bodies = z.toJSONSchema(requests, { uri, io: 'input' });
  const all: Record<string, Json> = {};
  for (const [id, schema] of Object.entries({ ...answers.schemas, ...bodies.schemas })) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
    all[id] = rest;
  }
  return all;
}
