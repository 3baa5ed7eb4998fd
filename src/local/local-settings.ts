import { resolve } from 'node:path';
import { InboxDefaults } from './inbox/registry-inbox.ts';

/** What the local stack is told by its environment (the variables of docs/local.md). */
export interface LocalSettings {
  readonly registryPort: number;
  readonly apiPort: number;
  /** Absolute path of the data folder. */
  readonly dataDir: string;
  /** A registry the user runs themselves; none is started then. No trailing slash. */
  readonly externalRegistryUrl: string | undefined;
  /** Milliseconds between reconcile passes (RECONCILE_INTERVAL, in seconds); 0 turns the reconciler off. */
  readonly reconcileIntervalMs: number;
  /** Where outcome events are POSTed (NOTIFY_URL, comma-separated); empty: nowhere. */
  readonly notifyUrls: readonly string[];
  /** Registry pushes handled at the same time, each of a different version (INBOX_CONCURRENCY). */
  readonly inboxConcurrency: number;
}

export const LocalDefaults = {
  registryPort: 5000,
  apiPort: 8080,
  dataDir: '.local',
  reconcileIntervalSeconds: 60,
  inboxConcurrency: InboxDefaults.concurrency,
} as const;

/** A bound on the handlers in flight (and the memory they hold); more would only queue in the registry and dynalite. */
const MAX_INBOX_CONCURRENCY = 64;

/** A setting that cannot be used; the message names the variable. */
export class LocalSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalSettingsError';
  }
}

/**
 * Reads REGISTRY_PORT, API_PORT, DATA_DIR, REGISTRY_URL, RECONCILE_INTERVAL, NOTIFY_URL and
 * INBOX_CONCURRENCY; `cwd` resolves a relative DATA_DIR.
 * Throws {@link LocalSettingsError} naming the variable when one is not usable.
 */
export function readLocalSettings(env: Readonly<Record<string, string | undefined>>, cwd: string): LocalSettings {
  const registryPort = readPort(env, 'REGISTRY_PORT', LocalDefaults.registryPort);
  const apiPort = readPort(env, 'API_PORT', LocalDefaults.apiPort);
  const externalRegistryUrl = readUrl(env, 'REGISTRY_URL');
  if (externalRegistryUrl === undefined && registryPort === apiPort) {
    throw new LocalSettingsError(`REGISTRY_PORT and API_PORT are both ${apiPort}; give them different ports`);
  }
  const dataDir = resolve(cwd, nonEmpty(env.DATA_DIR) ?? LocalDefaults.dataDir);
  const reconcileIntervalMs = Math.ceil(readSeconds(env, 'RECONCILE_INTERVAL', LocalDefaults.reconcileIntervalSeconds) * 1_000);
  const inboxConcurrency = readWholeNumber(env, 'INBOX_CONCURRENCY', LocalDefaults.inboxConcurrency, MAX_INBOX_CONCURRENCY);
  return { registryPort, apiPort, dataDir, externalRegistryUrl, reconcileIntervalMs, notifyUrls: readNotifyUrls(env), inboxConcurrency };
}

function readWholeNumber(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, max: number): number {
  const text = nonEmpty(env[name]);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max)
    throw new LocalSettingsError(`${name}=${text} is not a whole number from 1 to ${max}`);
  return value;
}

/** NOTIFY_URL: comma-separated http(s) URLs, each checked now so a typo fails the start, not a delivery. */
function readNotifyUrls(env: Readonly<Record<string, string | undefined>>): string[] {
  const text = nonEmpty(env.NOTIFY_URL);
  if (text === undefined) return [];
  const urls = text.split(',').map((part) => part.trim());
  urls.forEach((url, i) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    // The value is not echoed whole: a receiver URL may carry a token.
    if (parsed === undefined)
      throw new LocalSettingsError(`NOTIFY_URL: entry ${i + 1} is not a URL (expected e.g. http://127.0.0.1:9000/events)`);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new LocalSettingsError(`NOTIFY_URL: entry ${i + 1} uses ${parsed.protocol.slice(0, -1)}; only http and https are supported`);
    }
  });
  if (new Set(urls).size !== urls.length) throw new LocalSettingsError('NOTIFY_URL: a URL is listed twice');
  return urls;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A non-negative number of seconds; fractions are allowed (tests use short intervals). */
function readSeconds(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = nonEmpty(env[name]);
  if (text === undefined) return fallback;
  const seconds = Number(text);
  // setTimeout holds at most 2^31-1 ms; a longer interval would fire at once.
  if (!/^\d+(\.\d+)?$/.test(text) || seconds * 1_000 > MAX_TIMER_MS) {
    throw new LocalSettingsError(
      `${name}=${text} is not a number of seconds (0 turns it off, at most ${Math.floor(MAX_TIMER_MS / 1_000)})`,
    );
  }
  return seconds;
}

function readPort(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = nonEmpty(env[name]);
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new LocalSettingsError(`${name}=${text} is not a TCP port (1-65535)`);
  }
  return port;
}

function readUrl(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const text = nonEmpty(env[name]);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LocalSettingsError(`${name}=${text} is not a URL (expected e.g. http://127.0.0.1:5000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LocalSettingsError(`${name}=${text}: only http and https registries are supported`);
  }
  return text.replace(/\/+$/, '');
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}
