import { type Child, h } from './dom.ts';
import type { HistoryEntry, RepositoryEntry, VersionStatus } from './types.ts';
import {
  cellOf,
  countByState,
  DISPLAY_STATES,
  describeHistoryEntry,
  displayState,
  formatDuration,
  matrixColumns,
  reasonOf,
  shortDigest,
  tagsOf,
  waitingSince,
} from './view-model.ts';

/** The page's own links: each path segment encoded, so a repository or version can never break out of its place. */
export const links = {
  repositories: (): string => '#/',
  repository: (repository: string, state?: string): string =>
    `#/repo/${encodeURIComponent(repository)}${state ? `?state=${encodeURIComponent(state)}` : ''}`,
  version: (repository: string, version: string): string =>
    `#/repo/${encodeURIComponent(repository)}/version/${encodeURIComponent(version)}`,
};

export function renderTokenForm(onToken: (token: string) => void, refused: boolean): HTMLElement {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  }) as HTMLInputElement;
  const form = h(
    'form',
    {
      class: 'token-form',
      'aria-labelledby': 'token-title',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (value !== '') onToken(value);
      },
    },
    h('h2', { id: 'token-title' }, 'API token'),
    refused ? h('p', { class: 'problem', role: 'alert' }, 'The API refused that token. Check it and try again.') : null,
    h(
      'p',
      {},
      'The local stack writes its token to ',
      h('code', {}, '.local/api-token'),
      ' (or DATA_DIR/api-token); ',
      h('code', {}, 'manifest-assembler dashboard'),
      ' prints its own. It stays in this browser tab only.',
    ),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { type: 'submit' }, 'Open the dashboard'),
  );
  queueMicrotask(() => input.focus());
  return form;
}

export function renderRepositories(repositories: readonly RepositoryEntry[]): HTMLElement {
  if (repositories.length === 0) {
    return h(
      'section',
      { 'aria-labelledby': 'repos-title' },
      h('h2', { id: 'repos-title' }, 'Repositories'),
      h(
        'p',
        {},
        'No repository is configured yet: ',
        h('code', {}, 'manifest-assembler config set <repository> --require linux/amd64,linux/arm64'),
        '.',
      ),
    );
  }
  return h(
    'section',
    { 'aria-labelledby': 'repos-title' },
    h('h2', { id: 'repos-title' }, 'Repositories'),
    h(
      'ul',
      { class: 'repos' },
      repositories.map((entry) =>
        h(
          'li',
          {},
          h('a', { href: links.repository(entry.repository), 'data-key': `repo:${entry.repository}` }, entry.repository),
          h('span', { class: 'muted' }, ` requires ${(entry.config.requiredPlatforms ?? []).join(', ') || 'nothing'}`),
          (entry.config.optionalPlatforms ?? []).length > 0
            ? h('span', { class: 'muted' }, `; optional ${(entry.config.optionalPlatforms ?? []).join(', ')}`)
            : null,
        ),
      ),
    ),
  );
}

export interface MatrixInput {
  readonly repository: string;
  readonly required: readonly string[];
  readonly versions: readonly VersionStatus[];
  readonly filter: string | undefined;
  readonly more: boolean;
  readonly now: number;
}

export function renderMatrix(input: MatrixInput): HTMLElement {
  const { repository, versions, filter, now } = input;
  const counts = countByState(versions);
  const shown = filter === undefined ? versions : versions.filter((v) => displayState(v) === filter);
  const columns = matrixColumns(input.required, versions);
  const filterButton = (state: string | undefined, label: string, count: number): HTMLElement =>
    h(
      'a',
      {
        class: `filter${state ? ` state-${state}` : ''}`,
        href: links.repository(repository, state),
        'aria-current': filter === state ? 'true' : undefined,
        'data-key': `filter:${state ?? 'all'}`,
      },
      `${label} (${count})`,
    );
  return h(
    'section',
    { 'aria-labelledby': 'matrix-title' },
    h('p', { class: 'crumbs' }, h('a', { href: links.repositories() }, 'Repositories'), ' / '),
    h('h2', { id: 'matrix-title' }, repository),
    h(
      'nav',
      { class: 'filters', 'aria-label': 'Filter by state' },
      filterButton(undefined, 'all', versions.length),
      DISPLAY_STATES.filter((s) => (counts[s] ?? 0) > 0 || s === filter).map((s) => filterButton(s, s, counts[s] ?? 0)),
    ),
    shown.length === 0
      ? h('p', {}, versions.length === 0 ? 'No version of this repository has been pushed yet.' : `No version is ${filter}.`)
      : h(
          'div',
          { class: 'scroll', role: 'region', 'aria-labelledby': 'matrix-title', tabindex: 0 },
          h(
            'table',
            { class: 'matrix' },
            h('caption', {}, `Versions × platforms of ${repository}${filter ? `, ${filter} only` : ''}`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Version'),
                h('th', { scope: 'col' }, 'State'),
                columns.map((p) => h('th', { scope: 'col' }, p)),
                h('th', { scope: 'col' }, 'Tags'),
                h('th', { scope: 'col' }, 'Waiting'),
                h('th', { scope: 'col' }, 'Reason'),
              ),
            ),
            h(
              'tbody',
              {},
              shown.map((status) => renderRow(status, columns, now)),
            ),
          ),
        ),
    input.more ? h('p', { class: 'muted' }, 'Only the first versions are shown; use the CLI for the rest.') : null,
  );
}

function renderRow(status: VersionStatus, columns: readonly string[], now: number): HTMLElement {
  const state = displayState(status);
  const since = waitingSince(status);
  const reason = reasonOf(status);
  const rejected = status.rejected ?? [];
  return h(
    'tr',
    { 'data-version': status.version, 'data-state': state },
    h(
      'th',
      { scope: 'row' },
      h('a', { href: links.version(status.repository, status.version), 'data-key': `version:${status.version}` }, status.version),
    ),
    h('td', {}, stateBadge(state)),
    columns.map((platform) => {
      const cell = cellOf(status, platform);
      if (cell.kind === 'image') {
        return h(
          'td',
          { class: 'cell-image', 'data-platform': platform },
          h('code', { title: cell.image.digest }, shortDigest(cell.image.digest)),
          cell.image.tag ? h('span', { class: 'small' }, cell.image.tag) : null,
        );
      }
      if (cell.kind === 'missing') return h('td', { class: 'cell-missing', 'data-platform': platform }, 'missing');
      return h('td', { class: 'cell-none', 'data-platform': platform }, h('span', { 'aria-label': 'not recorded' }, '–'));
    }),
    h('td', {}, chips(tagsOf(status))),
    h('td', {}, since === undefined ? '' : h('span', { 'data-since': since }, formatDuration(now - since))),
    h(
      'td',
      { class: 'reason' },
      reason ?? '',
      rejected.length > 0 ? h('span', { class: 'small' }, `${rejected.length} refused push${rejected.length === 1 ? '' : 'es'}`) : null,
    ),
  );
}

export interface DetailInput {
  readonly status: VersionStatus;
  readonly history: readonly HistoryEntry[] | undefined;
  readonly historyNote: string | undefined;
  readonly now: number;
}

export function renderVersion(input: DetailInput): HTMLElement {
  const { status, now } = input;
  const state = displayState(status);
  const since = waitingSince(status);
  const reason = reasonOf(status);
  const published = status.published ?? null;
  return h(
    'section',
    { 'aria-labelledby': 'version-title', class: 'detail' },
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: links.repositories() }, 'Repositories'),
      ' / ',
      h('a', { href: links.repository(status.repository), 'data-key': 'back' }, status.repository),
      ' / ',
    ),
    h('h2', { id: 'version-title', tabindex: -1 }, `${status.repository}:${status.version} `, stateBadge(state)),
    h(
      'dl',
      { class: 'facts' },
      fact('State', state),
      fact('Tags', tagsOf(status).length > 0 ? chips(tagsOf(status)) : 'none yet'),
      fact('Required', (status.requiredPlatforms ?? []).join(', ') || '–'),
      fact('Missing', (status.missingPlatforms ?? []).length > 0 ? (status.missingPlatforms ?? []).join(', ') : 'nothing'),
      since === undefined ? null : fact('Waiting for', h('span', { 'data-since': since }, formatDuration(now - since))),
      reason === undefined ? null : fact('Reason', h('span', { class: 'reason' }, reason)),
      status.updatedAt ? fact('Updated', status.updatedAt) : null,
    ),
    h('h3', {}, 'Images'),
    (status.images ?? []).length === 0
      ? h('p', {}, 'None recorded.')
      : h(
          'div',
          { class: 'scroll', role: 'region', 'aria-label': 'Images', tabindex: 0 },
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Platform', 'Tag', 'Digest', 'Media type', 'Size', 'Pushed'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              {},
              (status.images ?? []).map((i) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, i.platform),
                  h('td', {}, i.tag ?? ''),
                  h('td', {}, h('code', { class: 'digest' }, i.digest)),
                  h('td', {}, i.mediaType ?? ''),
                  h('td', {}, i.size === undefined ? '' : `${i.size} B`),
                  h('td', {}, i.pushedAt ?? ''),
                ),
              ),
            ),
          ),
        ),
    h('h3', {}, 'Published index'),
    published === null
      ? h('p', {}, 'Not published yet.')
      : h(
          'dl',
          { class: 'facts' },
          fact('Digest', h('code', { class: 'digest' }, published.digest)),
          fact('Media type', published.mediaType ?? ''),
          fact('Tags', chips(published.tags ?? [])),
          fact('At', published.at ?? ''),
          published.partial ? fact('Partial', 'yes: published without every required platform') : null,
        ),
    (status.rejected ?? []).length === 0
      ? null
      : [
          h('h3', {}, 'Refused pushes'),
          h(
            'div',
            { class: 'scroll', role: 'region', 'aria-label': 'Refused pushes', tabindex: 0 },
            h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Tag', 'Digest', 'Reason', 'At'].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h(
                'tbody',
                {},
                (status.rejected ?? []).map((r) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, r.tag ?? ''),
                    h('td', {}, h('code', {}, shortDigest(r.digest ?? ''))),
                    h('td', { class: 'reason' }, r.reason ?? ''),
                    h('td', {}, r.at ?? ''),
                  ),
                ),
              ),
            ),
          ),
        ],
    (status.notes ?? []).length === 0
      ? null
      : [
          h('h3', {}, 'Notes'),
          h(
            'ul',
            {},
            (status.notes ?? []).map((n) => h('li', {}, typeof n === 'string' ? n : JSON.stringify(n))),
          ),
        ],
    h('h3', { id: 'history-title' }, 'History'),
    renderHistory(input.history, input.historyNote),
  );
}

function renderHistory(history: readonly HistoryEntry[] | undefined, note: string | undefined): Child {
  if (history === undefined) return h('p', { class: 'muted' }, note ?? 'Loading…');
  if (history.length === 0) return h('p', {}, 'Nothing recorded yet.');
  // Newest first: what just happened is what one opens the history for.
  return h(
    'ol',
    { class: 'history', reversed: true, 'aria-labelledby': 'history-title' },
    [...history]
      .reverse()
      .map((entry) =>
        h(
          'li',
          { 'data-kind': String(entry.kind ?? '') },
          h('time', {}, String(entry.at ?? '')),
          ' ',
          h('strong', {}, String(entry.kind ?? 'entry')),
          ' ',
          describeHistoryEntry(entry),
        ),
      ),
  );
}

function fact(term: string, value: Child): Child {
  return [h('dt', {}, term), h('dd', {}, value)];
}

function chips(tags: readonly string[]): HTMLElement {
  return h(
    'span',
    { class: 'chips' },
    tags.map((t) => h('span', { class: 'chip' }, t)),
  );
}

/** The state by colour (the class) and by word (the text), never by colour alone. */
export function stateBadge(state: string): HTMLElement {
  return h('span', { class: `state state-${state}` }, state);
}
