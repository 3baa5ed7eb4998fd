import type * as z from 'zod/mini';
import type { RepositoryConfigInput } from '../core/repository-config.ts';
import type { VersionState } from '../core/version-record.ts';
import { ApiError, parseProblem } from './api-error.ts';
import type * as Answers from './api-types.ts';
import { CliError } from './cli-error.ts';
import type { RequestAuth } from './request-auth.ts';

export interface ApiClientOptions {
  /** The API's base URL, without `/v1` (e.g. http://127.0.0.1:8080, or an API Gateway stage URL). */
  readonly baseUrl: URL;
  readonly auth: RequestAuth;
  readonly fetch?: typeof fetch;
  /** Per request; a CLI must not hang forever on an API that never answers. */
  readonly timeoutMs?: number;
}

export interface ListVersionsQuery {
  readonly state?: VersionState;
  readonly limit?: number;
  readonly cursor?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The readers of api-types.ts, by name: `#json` loads them when the first answer arrives. */
type AnswerName =
  | 'RepositoryList'
  | 'RepositoryConfigBody'
  | 'VersionPage'
  | 'VersionStatus'
  | 'VersionHistoryBody'
  | 'ReconcileReport'
  | 'ReconcileReports'
  | 'BackfillPlan'
  | 'BackfillRun'
  | 'RepublishReport';
type Answer<K extends AnswerName> = z.output<(typeof Answers)[K]>;

// The readers load zod (a third of a bare run's start-up): `--help`, usage errors and commands that
// fail before an answer arrives never need them. A dynamic import, which the CLI's bundle keeps apart.
let answers: Promise<typeof Answers> | undefined;
const loadAnswers = (): Promise<typeof Answers> => (answers ??= import('./api-types.ts'));

/**
 * The HTTP API (docs/api.md), one method per route. Answers are read with the server's own response
 * schemas, leniently (api-types.ts); error statuses become {@link ApiError}, unreachable APIs a {@link CliError}.
 */
export class ApiClient {
  readonly #baseUrl: URL;
  readonly #auth: RequestAuth;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    // Paths are appended to the base URL's own path (an API Gateway stage such as /prod).
    this.#baseUrl = new URL(options.baseUrl.href.endsWith('/') ? options.baseUrl.href : `${options.baseUrl.href}/`);
    this.#auth = options.auth;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** `GET /v1/repositories` */
  async listRepositories(): Promise<Answer<'RepositoryList'>> {
    return this.#json('GET', 'v1/repositories', 'RepositoryList');
  }

  /** `PUT /v1/repositories/{repository}/config`: the stored, normalised config. */
  async putConfig(repository: string, config: RepositoryConfigInput): Promise<Answer<'RepositoryConfigBody'>> {
    return this.#json('PUT', `${repositoryPath(repository)}/config`, 'RepositoryConfigBody', config);
  }

  /** `GET /v1/repositories/{repository}/config` */
  async getConfig(repository: string): Promise<Answer<'RepositoryConfigBody'>> {
    return this.#json('GET', `${repositoryPath(repository)}/config`, 'RepositoryConfigBody');
  }

  /** `DELETE /v1/repositories/{repository}/config`; version records stay. */
  async deleteConfig(repository: string): Promise<void> {
    await this.#send('DELETE', `${repositoryPath(repository)}/config`);
  }

  /** One page of `GET /v1/repositories/{repository}/versions`. */
  async listVersions(repository: string, query: ListVersionsQuery = {}): Promise<Answer<'VersionPage'>> {
    const params = new URLSearchParams();
    if (query.state !== undefined) params.set('state', query.state);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    const search = params.size === 0 ? '' : `?${params.toString()}`;
    return this.#json('GET', `${repositoryPath(repository)}/versions${search}`, 'VersionPage');
  }

  /** `GET /v1/repositories/{repository}/versions/{version}` */
  async getVersion(repository: string, version: string): Promise<Answer<'VersionStatus'>> {
    return this.#json('GET', versionPath(repository, version), 'VersionStatus');
  }

  /** `GET /v1/repositories/{repository}/versions/{version}/history` */
  async getHistory(repository: string, version: string): Promise<Answer<'VersionHistoryBody'>> {
    return this.#json('GET', `${versionPath(repository, version)}/history`, 'VersionHistoryBody');
  }

  /** `POST …/versions/{version}/publish`; a 409 (still incomplete) is an {@link ApiError}. */
  async publish(repository: string, version: string, allowPartial: boolean): Promise<Answer<'VersionStatus'>> {
    return this.#json('POST', `${versionPath(repository, version)}/publish`, 'VersionStatus', { allowPartial });
  }

  /** One run of `POST /v1/repositories/{repository}/reconcile`; pass the last report's cursor to go on. */
  async reconcile(repository: string, cursor?: string): Promise<Answer<'ReconcileReport'>> {
    return this.#json('POST', `${repositoryPath(repository)}/reconcile`, 'ReconcileReport', cursor === undefined ? {} : { cursor });
  }

  /** `POST /v1/reconcile`: one pass over every configured repository, as far as the API's time budget goes. */
  async reconcileAll(): Promise<Answer<'ReconcileReports'>> {
    return this.#json('POST', 'v1/reconcile', 'ReconcileReports', {});
  }

  /** `POST …/backfill` with `dryRun: true`: what a backfill would do; nothing is written. */
  async planBackfill(repository: string): Promise<Answer<'BackfillPlan'>> {
    return this.#json('POST', `${repositoryPath(repository)}/backfill`, 'BackfillPlan', { dryRun: true });
  }

  /** One request of `POST …/backfill`; pass the previous answer's cursor to go on. */
  async backfill(repository: string, cursor?: string): Promise<Answer<'BackfillRun'>> {
    return this.#json('POST', `${repositoryPath(repository)}/backfill`, 'BackfillRun', cursor === undefined ? {} : { cursor });
  }

  /** One request of `POST …/backfill` with `republish: true`: re-applies the config to a page of versions (or plans it). */
  async republish(repository: string, options: { dryRun: boolean; cursor?: string }): Promise<Answer<'RepublishReport'>> {
    const body = {
      republish: true,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    };
    return this.#json('POST', `${repositoryPath(repository)}/backfill`, 'RepublishReport', body);
  }

  async #json<K extends AnswerName>(method: string, path: string, answer: K, body?: unknown): Promise<Answer<K>> {
    const { response, text, label } = await this.#send(method, path, body);
    // Indexed by a generic name, the readers are a union TS cannot narrow to the one named.
    const schema = (await loadAnswers())[answer] as unknown as z.ZodMiniType<Answer<K>, unknown>;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CliError(`${label} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new CliError(`${label} answered with a body the CLI does not understand: ${parsed.error.issues.map(describeIssue).join('; ')}`);
    }
    return parsed.data;
  }

  async #send(method: string, path: string, body?: unknown): Promise<{ response: Response; text: string; label: string }> {
    const url = new URL(path, this.#baseUrl);
    const label = `${method} ${url.pathname}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = await this.#auth.authorize({
      method,
      url,
      headers: {
        accept: 'application/json, application/problem+json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { body: payload }),
    });
    // fetch sets Host from the URL itself (the same value the signer signed).
    delete headers.host;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new CliError(`cannot reach the API at ${this.#baseUrl.origin} (${label}): ${networkReason(error)}`, { cause: error });
    }
    if (!response.ok) {
      throw new ApiError(label, response.status, response.statusText, parseProblem(response.headers.get('content-type'), text), text);
    }
    return { response, text, label };
  }
}

/**
 * `v1/repositories/team/hello`: the repository's `/` stay unescaped, as the API expects (docs/api.md);
 * each segment is encoded on its own, which changes nothing for a valid name.
 */
export function repositoryPath(repository: string): string {
  return `v1/repositories/${repository.split('/').map(encodeURIComponent).join('/')}`;
}

function versionPath(repository: string, version: string): string {
  return `${repositoryPath(repository)}/versions/${encodeURIComponent(version)}`;
}

function describeIssue(issue: { path: readonly PropertyKey[]; message: string }): string {
  return issue.path.length === 0 ? issue.message : `${issue.path.map(String).join('.')}: ${issue.message}`;
}

function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
