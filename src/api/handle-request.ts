import type { Dependencies } from '../core/ports.ts';
import type { ROUTE_METHODS, Route, RouteFunction, RouteNamed, RouteRequest } from './routes.ts';

/**
 * Each route and method → its route function (src/api/routes/*.ts), imported on the first request
 * that needs it: a cold start loads none of them, and a request loads only its own route, the core
 * code that route calls, and zod only if it validates a body or a query. Typed against
 * {@link ROUTE_METHODS}, so a method the router allows without a function here does not compile.
 */
const ROUTE_FUNCTIONS: {
  readonly [N in Route['name']]: { readonly [M in (typeof ROUTE_METHODS)[N][number]]: () => Promise<RouteFunction<RouteNamed<N>>> };
} = {
  health: { GET: async () => (await import('./routes/health.ts')).getHealth },
  openapi: { GET: async () => (await import('./routes/openapi-document.ts')).getOpenApiDocument },
  'list-repositories': { GET: async () => (await import('./routes/repositories.ts')).getRepositories },
  config: {
    GET: async () => (await import('./routes/config.ts')).getConfig,
    PUT: async () => (await import('./routes/config.ts')).putConfig,
    DELETE: async () => (await import('./routes/config.ts')).deleteConfig,
  },
  'list-versions': { GET: async () => (await import('./routes/list-versions.ts')).getVersions },
  version: { GET: async () => (await import('./routes/version.ts')).getVersion },
  history: { GET: async () => (await import('./routes/history.ts')).getHistory },
  publish: { POST: async () => (await import('./routes/publish.ts')).postPublish },
  'reconcile-all': { POST: async () => (await import('./routes/reconcile-all.ts')).postReconcileAll },
  reconcile: { POST: async () => (await import('./routes/reconcile.ts')).postReconcile },
  backfill: { POST: async () => (await import('./routes/backfill.ts')).postBackfill },
};

/**
 * Runs a recognised route (the method is one {@link matchRoute} allowed): its data, or the domain
 * error it threw, for src/api/problem.ts to answer with.
 */
export async function handleApiRequest(deps: Dependencies, method: string, request: RouteRequest): Promise<unknown> {
  const byMethod = ROUTE_FUNCTIONS[request.route.name] as Readonly<Record<string, () => Promise<RouteFunction>>>;
  const load = byMethod[method];
  if (load === undefined) throw new Error(`no route function for ${method} ${request.route.name}`);
  return (await load())(deps, request);
}
