import { DashboardApi, type Fetched } from './api.ts';
import { h, replaceContent } from './dom.ts';
import { Poller } from './poller.ts';
import type { HistoryEntry, RepositoryEntry, VersionStatus } from './types.ts';
import { formatDuration } from './view-model.ts';
import { links, renderMatrix, renderRepositories, renderTokenForm, renderVersion } from './views.ts';

/** The page's entry point: reads the route from the hash, polls what it shows, renders on change. */
type Route =
  | { readonly view: 'repositories' }
  | { readonly view: 'repository'; readonly repository: string; readonly state: string | undefined }
  | { readonly view: 'version'; readonly repository: string; readonly version: string };

const VERSIONS_PAGE = 100;
const api = new DashboardApi();
const main = document.getElementById('main') as HTMLElement;
const statusLine = document.getElementById('status') as HTMLElement;

/** The last body seen per API path, so a 304 still renders. */
const bodies = new Map<string, unknown>();
let rendered = '';
/** True while the token form is up: the status line says so instead of "Live". */
let awaitingToken = false;

function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter((p) => p !== '');
  const decode = (s: string | undefined): string => {
    try {
      return decodeURIComponent(s ?? '');
    } catch {
      return s ?? '';
    }
  };
  if (parts[0] === 'repo' && parts[1] !== undefined) {
    if (parts[2] === 'version' && parts[3] !== undefined)
      return { view: 'version', repository: decode(parts[1]), version: decode(parts[3]) };
    const state = new URLSearchParams(query).get('state') ?? undefined;
    return { view: 'repository', repository: decode(parts[1]), state };
  }
  return { view: 'repositories' };
}

/** `/v1/repositories/team/hello/…`: the API takes a repository's `/` unescaped and each segment encoded. */
function repositoryPath(repository: string): string {
  return `/v1/repositories/${repository.split('/').map(encodeURIComponent).join('/')}`;
}

/** Fetches a path, remembering its body; true when something changed. Throws 'unauthorized' through the caller. */
async function load(path: string): Promise<{ changed: boolean; notFound?: string }> {
  const result: Fetched<unknown> = await api.get(path);
  if (result.kind === 'unauthorized') throw new Unauthorized();
  if (result.kind === 'not-found') {
    const changed = bodies.get(path) !== NOT_FOUND;
    bodies.set(path, NOT_FOUND);
    return { changed, notFound: result.detail };
  }
  if (result.kind === 'unchanged' && bodies.has(path)) return { changed: false };
  if (result.kind === 'unchanged') {
    api.forget(path);
    return load(path);
  }
  bodies.set(path, result.body);
  return { changed: true };
}

const NOT_FOUND = Symbol('not found');
class Unauthorized extends Error {}

async function tick(): Promise<void> {
  const route = parseRoute(location.hash);
  const key = JSON.stringify(route);
  let changed = key !== rendered;
  try {
    if (api.token === undefined && !(await probeWithoutToken())) throw new Unauthorized();
    const paths = pathsFor(route);
    const results = await Promise.all(paths.map((p) => load(p)));
    changed ||= results.some((r) => r.changed);
  } catch (error) {
    if (error instanceof Unauthorized) {
      showTokenForm();
      return;
    }
    throw error;
  }
  awaitingToken = false;
  if (changed) {
    render(route);
    if (key !== rendered) focusHeading();
    rendered = key;
  }
  refreshDurations();
}

/** Behind the signing proxy with no token of its own, the API answers without one. */
async function probeWithoutToken(): Promise<boolean> {
  const result = await api.get('/v1/repositories');
  if (result.kind === 'changed') bodies.set('/v1/repositories', result.body);
  return result.kind === 'changed' || result.kind === 'unchanged';
}

function pathsFor(route: Route): string[] {
  switch (route.view) {
    case 'repositories':
      return ['/v1/repositories'];
    case 'repository':
      return ['/v1/repositories', `${repositoryPath(route.repository)}/versions?limit=${VERSIONS_PAGE}`];
    case 'version': {
      const base = `${repositoryPath(route.repository)}/versions/${encodeURIComponent(route.version)}`;
      return [base, `${base}/history`];
    }
  }
}

function render(route: Route): void {
  const now = Date.now();
  const [first, second] = pathsFor(route);
  switch (route.view) {
    case 'repositories': {
      const body = bodies.get(first ?? '') as { repositories?: RepositoryEntry[] } | undefined;
      replaceContent(main, renderRepositories(body?.repositories ?? []));
      document.title = 'manifest-assembler';
      return;
    }
    case 'repository': {
      const repos = (bodies.get(first ?? '') as { repositories?: RepositoryEntry[] } | undefined)?.repositories ?? [];
      const page = bodies.get(second ?? '');
      const entry = repos.find((r) => r.repository === route.repository);
      if (page === NOT_FOUND || (entry === undefined && page === undefined)) {
        replaceContent(
          main,
          h(
            'p',
            { class: 'problem' },
            `Repository ${route.repository} is not known here. `,
            h('a', { href: links.repositories() }, 'All repositories'),
          ),
        );
        return;
      }
      const body = page as { versions?: VersionStatus[]; cursor?: string | null };
      replaceContent(
        main,
        renderMatrix({
          repository: route.repository,
          required: entry?.config.requiredPlatforms ?? [],
          versions: body.versions ?? [],
          filter: route.state,
          more: (body.cursor ?? null) !== null,
          now,
        }),
      );
      document.title = `${route.repository} · manifest-assembler`;
      return;
    }
    case 'version': {
      const status = bodies.get(first ?? '');
      if (status === NOT_FOUND || status === undefined) {
        replaceContent(
          main,
          h(
            'p',
            { class: 'problem' },
            `No push of ${route.repository}:${route.version} has been recorded. `,
            h('a', { href: links.repository(route.repository) }, `Back to ${route.repository}`),
          ),
        );
        return;
      }
      const history = bodies.get(second ?? '');
      const entries =
        history === NOT_FOUND || history === undefined ? undefined : ((history as { entries?: HistoryEntry[] }).entries ?? []);
      replaceContent(
        main,
        renderVersion({
          status: status as VersionStatus,
          history: entries,
          historyNote: history === NOT_FOUND ? 'This API keeps no history for this version.' : undefined,
          now,
        }),
      );
      document.title = `${route.repository}:${route.version} · manifest-assembler`;
      return;
    }
  }
}

/**
 * Asks for the token: once when there is none, again (saying so) when the API refused the one sent.
 * While the form is up, later ticks leave it alone, so what is being typed stays.
 */
function showTokenForm(): void {
  rendered = '';
  awaitingToken = true;
  const refused = api.token !== undefined;
  if (refused) api.token = undefined;
  if (main.querySelector('.token-form') !== null && !refused) return;
  replaceContent(
    main,
    renderTokenForm((token) => {
      api.token = token;
      poller.now();
    }, refused),
  );
}

function focusHeading(): void {
  const heading = main.querySelector<HTMLElement>('h2');
  if (heading === null || main.contains(document.activeElement)) return;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
}

/** Waiting times move every second without anything else changing; only their text is updated. */
function refreshDurations(): void {
  const now = Date.now();
  for (const element of main.querySelectorAll<HTMLElement>('[data-since]')) {
    element.textContent = formatDuration(now - Number(element.dataset.since));
  }
}

const poller = new Poller(tick, {
  intervalMs: 2_000,
  hiddenMs: 15_000,
  maxBackoffMs: 30_000,
  onResult: (failure) => {
    if (failure === null) {
      statusLine.textContent = awaitingToken ? 'Waiting for the API token' : `Live · checked ${new Date().toLocaleTimeString()}`;
      statusLine.dataset.state = awaitingToken ? 'token' : 'live';
    } else {
      statusLine.textContent = `${(failure.error as Error).message ?? String(failure.error)} · retrying in ${Math.round(failure.retryInMs / 1000)} s`;
      statusLine.dataset.state = 'error';
    }
  },
});

window.addEventListener('hashchange', () => poller.now());
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || event.defaultPrevented) return;
  const route = parseRoute(location.hash);
  if (route.view === 'version') location.hash = links.repository(route.repository);
  else if (route.view === 'repository') location.hash = links.repositories();
});
document.getElementById('forget-token')?.addEventListener('click', () => {
  api.token = undefined;
  bodies.clear();
  poller.now();
});
poller.now();
