import type { Dependencies } from '../core/ports.ts';
import type { DeepReadonly } from './response-schemas.ts';

/**
 * Route recognition for the HTTP API (docs/api.md). Repository names contain `/` and appear unescaped,
 * as in the OCI distribution API, so routes are recognised by their trailing keywords.
 */
export type Route =
  | { readonly name: 'health' }
  | { readonly name: 'openapi' }
  | { readonly name: 'list-repositories' }
  | { readonly name: 'config'; readonly repository: string }
  | { readonly name: 'list-versions'; readonly repository: string }
  | { readonly name: 'version'; readonly repository: string; readonly version: string }
  | { readonly name: 'history'; readonly repository: string; readonly version: string }
  | { readonly name: 'publish'; readonly repository: string; readonly version: string }
  | { readonly name: 'reconcile-all' }
  | { readonly name: 'reconcile'; readonly repository: string }
  | { readonly name: 'backfill'; readonly repository: string };

/** The route of a name, with its path parameters: `RouteNamed<'version'>`. */
export type RouteNamed<N extends Route['name']> = Extract<Route, { readonly name: N }>;

/** The methods each route answers (any other gets 405); the OpenAPI test checks the router against it. */
export const ROUTE_METHODS = {
  health: ['GET'],
  openapi: ['GET'],
  'list-repositories': ['GET'],
  config: ['GET', 'PUT', 'DELETE'],
  'list-versions': ['GET'],
  version: ['GET'],
  history: ['GET'],
  publish: ['POST'],
  'reconcile-all': ['POST'],
  reconcile: ['POST'],
  backfill: ['POST'],
} as const satisfies Record<Route['name'], readonly string[]>;

/** What a route function gets: the recognised route (with its path parameters, not yet checked), the query and the parsed body. */
export interface RouteRequest<R extends Route = Route> {
  readonly route: R;
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body, or undefined when there was none. */
  readonly body: unknown;
}

/**
 * The one shape of a route (src/api/routes/*.ts): check the input, make one core call, return its
 * data (answered as 200 JSON; `undefined` is a 204) or let a domain error through (answered as a
 * problem by src/api/problem.ts). No route builds an HTTP response. `Answer` is the type inferred
 * from the route's response schema (response-schemas.ts), so what core returns must fit the document.
 */
export type RouteFunction<R extends Route = Route, Answer = unknown> = (
  deps: Dependencies,
  request: RouteRequest<R>,
) => Promise<DeepReadonly<Answer>>;

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'not-found' };

const REPOSITORIES = '/v1/repositories/';
/** Where the OpenAPI document is served; like health, it needs no token locally. */
export const OPENAPI_PATH = '/v1/openapi.json';

export function matchRoute(method: string, rawPath: string): RouteMatch {
  const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
  if (path === '/v1/health') return only(method, ['GET'], { name: 'health' });
  if (path === OPENAPI_PATH) return only(method, ['GET'], { name: 'openapi' });
  if (path === '/v1/repositories') return only(method, ['GET'], { name: 'list-repositories' });
  if (path === '/v1/reconcile') return only(method, ['POST'], { name: 'reconcile-all' });
  if (!path.startsWith(REPOSITORIES)) return { kind: 'not-found' };
  const rest = path.slice(REPOSITORIES.length);

  let m = /^(.+)\/config$/.exec(rest);
  if (m) return only(method, ['GET', 'PUT', 'DELETE'], { name: 'config', repository: decode(m[1]) });
  m = /^(.+)\/(reconcile|backfill)$/.exec(rest);
  if (m) return only(method, ['POST'], { name: m[2] === 'reconcile' ? 'reconcile' : 'backfill', repository: decode(m[1]) });
  m = /^(.+)\/versions\/([^/]+)\/history$/.exec(rest);
  if (m) return only(method, ['GET'], { name: 'history', repository: decode(m[1]), version: decode(m[2]) });
  m = /^(.+)\/versions\/([^/]+)\/publish$/.exec(rest);
  if (m) return only(method, ['POST'], { name: 'publish', repository: decode(m[1]), version: decode(m[2]) });
  m = /^(.+)\/versions\/([^/]+)$/.exec(rest);
  if (m) return only(method, ['GET'], { name: 'version', repository: decode(m[1]), version: decode(m[2]) });
  m = /^(.+)\/versions$/.exec(rest);
  if (m) return only(method, ['GET'], { name: 'list-versions', repository: decode(m[1]) });
  return { kind: 'not-found' };
}

function only(method: string, allowed: string[], route: Route): RouteMatch {
  return allowed.includes(method.toUpperCase()) ? { kind: 'route', route } : { kind: 'method-not-allowed', allowed };
}

// Each segment may be percent-encoded by a client; a malformed escape is kept as is and then fails validation.
function decode(value: string | undefined): string {
  try {
    return decodeURIComponent(value ?? '');
  } catch {
    return value ?? '';
  }
}
