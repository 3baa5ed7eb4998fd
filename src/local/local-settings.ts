import { resolve } from 'node:path';

/** What the local stack is told by its environment (DESIGN §8). */
export interface LocalSettings {
  readonly registryPort: number;
  readonly apiPort: number;
  /** Absolute path of the data folder. */
  readonly dataDir: string;
  /** A registry the user runs themselves; none is started then. No trailing slash. */
  readonly externalRegistryUrl: string | undefined;
}

export const LocalDefaults = { registryPort: 5000, apiPort: 8080, dataDir: '.local' } as const;

/** A setting that cannot be used; the message names the variable. */
export class LocalSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalSettingsError';
  }
}

/**
 * Reads REGISTRY_PORT, API_PORT, DATA_DIR and REGISTRY_URL; `cwd` resolves a relative DATA_DIR.
 * Throws {@link LocalSettingsError} naming the variable when one is not usable.
 */
export function readLocalSettings(env: Readonly<Record<string, string | undefined>>, cwd: string): LocalSettings {
  const registryPort = readPort(env, 'REGISTRY_PORT', LocalDefaults.registryPort);
  const apiPort = readPort(env, 'API_PORT', LocalDefaults.apiPort);
  const externalRegistryUrl = readUrl(env, 'REGISTRY_URL');
  if (externalRegistryUrl === undefined && registryPort === apiPort) {
    throw new LocalSettingsError(`REGISTRY_PORT and API_PORT are both ${apiPort}; give them different ports`);
  }
  const dataDir = resolve(cwd, nonEmpty(env['DATA_DIR']) ?? LocalDefaults.dataDir);
  return { registryPort, apiPort, dataDir, externalRegistryUrl };
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
