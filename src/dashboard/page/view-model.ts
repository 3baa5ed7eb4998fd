import type { ImageEntry, VersionStatus } from './types.ts';

/**
 * Pure helpers that turn API bodies into what the dashboard shows. No DOM here, so the rules
 * (which word a version gets, which columns the matrix has) are unit-tested under Node.
 */

/** The words a version's state is shown with; `partial` is a published index missing required platforms. */
export const DISPLAY_STATES = ['waiting', 'publishing', 'published', 'partial', 'stale', 'conflict', 'failed'] as const;
export type DisplayState = (typeof DISPLAY_STATES)[number] | 'unknown';

/** The word for a version: the API state, except that a partial publish still waiting reads `partial`. */
export function displayState(status: VersionStatus): DisplayState {
  const state = status.state;
  if (status.published?.partial === true && (state === 'waiting' || state === 'published')) return 'partial';
  return (DISPLAY_STATES as readonly string[]).includes(state) ? (state as DisplayState) : 'unknown';
}

/** `sha256:0123456789ab…` → `0123456789ab`: enough to tell images apart at a glance. */
export function shortDigest(digest: string): string {
  const hex = digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest;
  return hex.slice(0, 12);
}

/** A duration in the largest units that matter: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** The platforms across the matrix: required ones first in config order, then any other recorded platform, sorted. */
export function matrixColumns(required: readonly string[], statuses: readonly VersionStatus[]): string[] {
  const columns = [...required];
  const others = new Set<string>();
  for (const status of statuses) {
    for (const platform of status.requiredPlatforms ?? []) if (!columns.includes(platform)) others.add(platform);
    for (const image of status.images ?? []) if (!columns.includes(image.platform)) others.add(image.platform);
  }
  return [...columns, ...[...others].sort()];
}

export type Cell = { readonly kind: 'image'; readonly image: ImageEntry } | { readonly kind: 'missing' } | { readonly kind: 'none' };

/**
 * What a version holds for one platform column: its image, `missing` when the platform is required
 * and absent, or nothing. A required `linux/arm64` is satisfied by an image recorded as `linux/arm64/v8`.
 */
export function cellOf(status: VersionStatus, platform: string): Cell {
  const image = (status.images ?? []).find((i) => i.platform === platform || normalisedArm64(i.platform) === normalisedArm64(platform));
  if (image !== undefined) return { kind: 'image', image };
  return (status.missingPlatforms ?? []).includes(platform) ? { kind: 'missing' } : { kind: 'none' };
}

function normalisedArm64(platform: string): string {
  return platform.endsWith('/arm64/v8') ? platform.slice(0, -3) : platform;
}

/** Every tag that points at the version now: the server's `tags` when it reports them, else the published index's. */
export function tagsOf(status: VersionStatus): string[] {
  const tags = new Set<string>();
  for (const tag of Array.isArray(status.tags) ? status.tags : []) if (typeof tag === 'string') tags.add(tag);
  for (const tag of status.published?.tags ?? []) tags.add(tag);
  return [...tags];
}

/** When a version still short of platforms started waiting (its first push), as epoch ms; undefined when it waits for nothing. */
export function waitingSince(status: VersionStatus): number | undefined {
  if ((status.missingPlatforms ?? []).length === 0) return undefined;
  const times = (status.images ?? []).map((i) => Date.parse(i.pushedAt ?? '')).filter((t) => Number.isFinite(t));
  return times.length === 0 ? undefined : Math.min(...times);
}

/** The reason shown for a conflict or a failure (the API sends text; an object with a message is read too). */
export function reasonOf(status: VersionStatus): string | undefined {
  const { error } = status;
  if (error === null || error === undefined) return undefined;
  if (typeof error === 'string') return error;
  return typeof error.message === 'string' ? error.message : undefined;
}

/** How many versions are in each display state (for the filter's counts). */
export function countByState(statuses: readonly VersionStatus[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) {
    const state = displayState(status);
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}

/** The short text for one history entry: what happened, with the fields that say to what. */
export function describeHistoryEntry(entry: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'kind' || key === 'at' || key === 'sequence' || key === 'id' || value === undefined || value === null) continue;
    if (typeof value === 'string') parts.push(`${key} ${key === 'digest' || key.endsWith('Digest') ? shortDigest(value) : value}`);
    else if (typeof value === 'number' || typeof value === 'boolean') parts.push(`${key} ${String(value)}`);
    else if (Array.isArray(value)) parts.push(`${key} ${value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`);
    else parts.push(`${key} ${JSON.stringify(value)}`);
  }
  return parts.join(' · ');
}
