import type { VersionStatus } from '../../src/core/version-status.ts';
import { type LocalStack, startLocalStack } from '../../src/local/main.ts';
import { freeRunnerPorts } from './runner-process.ts';

/**
 * Starts the local stack as the end-to-end tests run it: free ports, its data in `dataDir`, warnings
 * only, no reconcile timer (a test reconciles when it means to), nothing printed. `env` adds to that.
 */
export async function startQuietStack(dataDir: string, env: Readonly<Record<string, string>> = {}): Promise<LocalStack> {
  return startLocalStack({
    env: { ...process.env, ...(await freeRunnerPorts()), DATA_DIR: dataDir, LOG_LEVEL: 'warn', RECONCILE_INTERVAL: '0', ...env },
    standalone: false,
    print: () => {},
  });
}

/** Where a running local stack's API answers and the bearer token it wants (a `LocalStack` has both). */
export interface LocalApi {
  readonly apiUrl: string;
  readonly token: string;
}

/** An API answer: its status and its JSON body as the caller expects it (null when the body is empty). */
export interface ApiAnswer<T> {
  readonly status: number;
  readonly json: T;
}

/** One request to the local API with its token; a body is sent as JSON. The raw Response, for tests that read headers. */
export function requestLocalApi(api: LocalApi, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${api.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/**
 * One request to the local API, its body parsed. `T` is what the test expects the body to be (the
 * API checks its answers against the OpenAPI schemas; the test's assertions check the rest).
 */
export async function callLocalApi<T = unknown>(api: LocalApi, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  const response = await requestLocalApi(api, method, path, body);
  const text = await response.text();
  return { status: response.status, json: (text === '' ? null : JSON.parse(text)) as T };
}

/**
 * Polls `GET …/versions/{version}` until `done` accepts the status, and returns it. A push is handled
 * within milliseconds of the registry's notification; the timeout is only a ceiling, and its error
 * shows the last answer.
 */
export async function waitForVersion(
  api: LocalApi,
  repository: string,
  version: string,
  done: (status: VersionStatus) => boolean,
  timeoutMs = 15_000,
): Promise<VersionStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, json } = await callLocalApi<VersionStatus>(api, 'GET', `/v1/repositories/${repository}/versions/${version}`);
    if (status === 200 && done(json)) return json;
    if (Date.now() > deadline) throw new Error(`${repository}:${version} never got there; last answer ${status} ${JSON.stringify(json)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
