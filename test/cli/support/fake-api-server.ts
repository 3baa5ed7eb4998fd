import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reconcileReportOf } from '../../support/reconcile-report.ts';

/** One request as the fake API received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query exactly as sent (nothing decoded). */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface FakeApiOptions {
  /** The bearer token every route but /v1/health requires; undefined accepts any request (SigV4 tests check headers themselves). */
  readonly token?: string;
  /** Versions per page when the request gives no limit: small, so that paging is exercised. */
  readonly pageSize?: number;
  /** Reconcile runs per backfill request, as the real API does several (default 2). */
  readonly backfillRunsPerRequest?: number;
}

type Json = Record<string, unknown>;

/**
 * A small stand-in for the API (docs/api.md) on 127.0.0.1, port 0: it keeps configs and versions in
 * memory, answers with the contract's bodies, statuses and problem+json errors, and records every request.
 */
export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly configs = new Map<string, Json>();
  readonly versions = new Map<string, Json[]>();
  /** `GET …/versions/{version}/history` answers, by `repository:version`. */
  readonly histories = new Map<string, Json>();
  /**
   * The reports of successive reconcile runs per repository: a request without a cursor gets the
   * first, the cursor "i" the i-th (each served with the cursor of the next, the last with null).
   * Backfill serves the same runs, {@link FakeApiOptions.backfillRunsPerRequest} per request.
   */
  readonly reconcileRuns = new Map<string, Json[]>();
  /** What `POST /v1/reconcile` answers with. */
  reconcileAllReports: Json[] = [];
  /** What a dry-run backfill answers with, per repository. */
  readonly backfillPlans = new Map<string, Json>();
  /**
   * The pages `backfill` with `republish: true` answers with, per repository (dry run or not): the
   * cursor "i" gets the i-th, each served with the cursor of the next, the last with null.
   */
  readonly republishPages = new Map<string, Json[]>();
  #server: Server;
  #options: FakeApiOptions;

  private constructor(options: FakeApiOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const recorded = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(recorded);
        this.#answer(recorded, response);
      });
    });
  }

  static async start(options: FakeApiOptions = {}): Promise<FakeApiServer> {
    const fake = new FakeApiServer(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(request: RecordedRequest, response: ServerResponse) {
    const send = (status: number, body?: unknown, contentType = 'application/json') => {
      response.writeHead(status, body === undefined ? {} : { 'content-type': contentType });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const problem = (status: number, title: string, detail: string) =>
      send(status, { type: 'about:blank', title, status, detail }, 'application/problem+json');
    const url = new URL(request.url, 'http://fake');
    const path = url.pathname;
    if (request.method === 'GET' && path === '/v1/health') return send(200, { status: 'ok' });
    if (this.#options.token !== undefined && request.headers.authorization !== `Bearer ${this.#options.token}`) {
      return problem(401, 'Unauthorized', 'a valid bearer token is required');
    }
    if (request.method === 'GET' && path === '/v1/repositories') {
      return send(200, { repositories: [...this.configs].map(([repository, config]) => ({ repository, config: asStored(config) })) });
    }
    if (request.method === 'POST' && path === '/v1/reconcile') {
      if (!hasOnlyKeys(request.body, [])) return problem(400, 'Bad Request', 'body: POST /v1/reconcile takes no parameters');
      return send(200, { reports: this.reconcileAllReports });
    }
    let match = /^\/v1\/repositories\/(.+)\/(reconcile|backfill)$/.exec(path);
    if (match?.[1] !== undefined && request.method === 'POST') {
      const repository = match[1];
      const body = parseBody(request.body);
      const runs = this.reconcileRuns.get(repository) ?? [reconcileReport(repository)];
      const at = typeof body?.cursor === 'string' ? Number(body.cursor) : 0;
      const run = (i: number) => ({ ...runs[i], cursor: i + 1 < runs.length ? String(i + 1) : null });
      if (match[2] === 'reconcile') {
        if (body === undefined || !hasOnlyKeys(request.body, ['cursor']))
          return problem(400, 'Bad Request', 'body: only cursor is allowed');
        if (!(at < runs.length)) return problem(400, 'Bad Request', 'cursor: not a cursor this service returned');
        return send(200, run(at));
      }
      if (body === undefined || !hasOnlyKeys(request.body, ['cursor', 'dryRun', 'republish']))
        return problem(400, 'Bad Request', 'body: only dryRun, republish and cursor are allowed');
      if (!this.configs.has(repository)) return problem(404, 'Not Found', `repository ${repository} has no configuration`);
      if (body.republish === true) {
        const pages = this.republishPages.get(repository) ?? [
          { repository, versionsChecked: 0, changed: [], unchanged: 0, waiting: [], conflicts: [], failures: [] },
        ];
        return send(200, { ...pages[at], dryRun: body.dryRun === true, cursor: at + 1 < pages.length ? String(at + 1) : null });
      }
      if (body.dryRun === true)
        return send(200, this.backfillPlans.get(repository) ?? { repository, tagsScanned: 0, versions: [], problems: [] });
      const reports = [];
      for (let i = at; i < Math.min(runs.length, at + (this.#options.backfillRunsPerRequest ?? 2)); i++) reports.push(run(i));
      return send(200, { reports, cursor: reports.at(-1)?.cursor ?? null });
    }
    match = /^\/v1\/repositories\/(.+)\/config$/.exec(path);
    if (match?.[1] !== undefined) {
      const repository = match[1];
      if (request.method === 'PUT') {
        const body = JSON.parse(request.body) as Json;
        if (!Array.isArray(body.requiredPlatforms) || body.requiredPlatforms.length === 0) {
          return problem(400, 'Invalid input', 'requiredPlatforms must name at least one platform');
        }
        const stored = {
          optionalPlatforms: [],
          tagPattern: '^(?<version>.+)-(?<platform>[^-]+)$',
          targetTags: ['{version}'],
          indexMediaType: 'auto',
          platformOverrides: {},
          ...body,
        };
        this.configs.set(repository, stored);
        return send(200, asStored(stored));
      }
      const config = this.configs.get(repository);
      if (request.method === 'GET')
        return config === undefined ? problem(404, 'Not Found', `no config for ${repository}`) : send(200, asStored(config));
      if (request.method === 'DELETE') {
        this.configs.delete(repository);
        return send(204);
      }
    }
    match = /^\/v1\/repositories\/(.+)\/versions$/.exec(path);
    if (match?.[1] !== undefined && request.method === 'GET') {
      const state = url.searchParams.get('state');
      const all = (this.versions.get(match[1]) ?? []).filter((v) => state === null || v.state === state);
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const size = Number(url.searchParams.get('limit') ?? this.#options.pageSize ?? 2);
      const end = start + size;
      return send(200, { versions: all.slice(start, end), cursor: end < all.length ? String(end) : null });
    }
    match = /^\/v1\/repositories\/(.+)\/versions\/([^/]+?)\/history$/.exec(path);
    if (match?.[1] !== undefined && request.method === 'GET') {
      const history = this.histories.get(`${match[1]}:${match[2]}`);
      return history === undefined ? problem(404, 'Not Found', `no version ${match[2]} of ${match[1]}`) : send(200, history);
    }
    match = /^\/v1\/repositories\/(.+)\/versions\/([^/]+?)(\/publish)?$/.exec(path);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      const version = (this.versions.get(match[1]) ?? []).find((v) => v.version === match?.[2]);
      if (version === undefined) return problem(404, 'Not Found', `no version ${match[2]} of ${match[1]}`);
      if (match[3] === undefined && request.method === 'GET') return send(200, version);
      if (match[3] !== undefined && request.method === 'POST') {
        const { allowPartial } = JSON.parse(request.body) as { allowPartial?: boolean };
        const missing = version.missingPlatforms as string[];
        if (missing.length > 0 && allowPartial !== true) {
          return problem(409, 'Conflict', `${match[1]}:${match[2]} still misses ${missing.join(', ')}`);
        }
        return send(200, {
          ...version,
          state: 'published',
          published: {
            digest: `sha256:${'e'.repeat(64)}`,
            mediaType: 'application/vnd.oci.image.index.v1+json',
            tags: [match[2]],
            at: '2026-11-27T10:00:05.000Z',
          },
        });
      }
    }
    return problem(404, 'Not Found', `no route ${request.method} ${path}`);
  }
}

/** A VersionStatus as the contract shows it, with images for the given platforms (digest `sha256:<fill×64>`). */
export function versionStatus(
  version: string,
  state: string,
  images: Record<string, string>,
  extra: Json = {},
  required: readonly string[] = ['linux/amd64', 'linux/arm64'],
): Json {
  return {
    repository: 'team/hello',
    version,
    state,
    requiredPlatforms: required,
    missingPlatforms: required.filter((p) => !(p in images)),
    images: Object.entries(images).map(([platform, fill]) => ({
      platform,
      digest: `sha256:${fill.repeat(64 / fill.length)}`,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 401,
      tag: `${version}-${platform.split('/')[1]}`,
      pushedAt: '2026-11-27T10:00:00.000Z',
    })),
    published: null,
    error: null,
    rejected: [],
    updatedAt: '2026-11-27T10:00:01.000Z',
    ...extra,
  };
}

/** A ReconcileReport as the API sends it: nothing found unless `extra` says otherwise. */
export function reconcileReport(repository: string, extra: Json = {}): Json {
  return { ...reconcileReportOf(repository), ...extra };
}

/** A config as the API answers with it: normalised, so a test's config may leave out what the API fills in. */
function asStored(config: Json): Json {
  return { staleAfter: null, onStale: 'wait', onDrift: 'report', ...config };
}

function parseBody(text: string): Json | undefined {
  if (text === '') return {};
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** As the API's strict body schemas: a JSON object (or nothing) with no key but the allowed ones. */
function hasOnlyKeys(text: string, allowed: readonly string[]): boolean {
  const body = parseBody(text);
  return body !== undefined && Object.keys(body).every((key) => allowed.includes(key));
}
