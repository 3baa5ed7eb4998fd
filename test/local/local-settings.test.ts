import { describe, expect, it } from 'vitest';
import { readLocalSettings } from '../../src/local/local-settings.ts';

describe('readLocalSettings', () => {
  const cases: Array<{ name: string; env: Record<string, string>; want?: object; wantError?: RegExp }> = [
    {
      name: 'nothing set',
      env: {},
      want: {
        registryPort: 5000,
        apiPort: 8080,
        dataDir: '/repo/.local',
        externalRegistryUrl: undefined,
        reconcileIntervalMs: 60_000,
        inboxConcurrency: 4,
      },
    },
    { name: 'an inbox concurrency', env: { INBOX_CONCURRENCY: '16' }, want: { inboxConcurrency: 16 } },
    { name: 'an inbox concurrency of one (pushes one at a time)', env: { INBOX_CONCURRENCY: '1' }, want: { inboxConcurrency: 1 } },
    {
      name: 'an inbox concurrency of 0',
      env: { INBOX_CONCURRENCY: '0' },
      wantError: /INBOX_CONCURRENCY=0 is not a whole number from 1 to 64/,
    },
    { name: 'an inbox concurrency over 64', env: { INBOX_CONCURRENCY: '65' }, wantError: /INBOX_CONCURRENCY=65/ },
    { name: 'an inbox concurrency with a fraction', env: { INBOX_CONCURRENCY: '2.5' }, wantError: /INBOX_CONCURRENCY=2.5/ },
    { name: 'a reconcile interval', env: { RECONCILE_INTERVAL: '300' }, want: { reconcileIntervalMs: 300_000 } },
    { name: 'a reconcile interval with a fraction', env: { RECONCILE_INTERVAL: '0.25' }, want: { reconcileIntervalMs: 250 } },
    { name: 'the reconciler turned off', env: { RECONCILE_INTERVAL: '0' }, want: { reconcileIntervalMs: 0 } },
    { name: 'an empty reconcile interval', env: { RECONCILE_INTERVAL: ' ' }, want: { reconcileIntervalMs: 60_000 } },
    {
      name: 'a reconcile interval with a unit',
      env: { RECONCILE_INTERVAL: '60s' },
      wantError: /RECONCILE_INTERVAL=60s is not a number of seconds/,
    },
    { name: 'a negative reconcile interval', env: { RECONCILE_INTERVAL: '-1' }, wantError: /RECONCILE_INTERVAL=-1/ },
    { name: 'a reconcile interval too long for a timer', env: { RECONCILE_INTERVAL: '2147484' }, wantError: /at most 2147483/ },
    {
      name: 'ports and a relative data folder',
      env: { REGISTRY_PORT: '5001', API_PORT: '8081', DATA_DIR: 'state' },
      want: { registryPort: 5001, apiPort: 8081, dataDir: '/repo/state' },
    },
    { name: 'an absolute data folder', env: { DATA_DIR: '/var/tmp/x' }, want: { dataDir: '/var/tmp/x' } },
    {
      name: 'empty values',
      env: { REGISTRY_PORT: '', API_PORT: ' ', DATA_DIR: '' },
      want: { registryPort: 5000, apiPort: 8080, dataDir: '/repo/.local' },
    },
    {
      name: 'an external registry',
      env: { REGISTRY_URL: 'http://127.0.0.1:5555/' },
      want: { externalRegistryUrl: 'http://127.0.0.1:5555' },
    },
    {
      name: 'an external registry on the API port',
      env: { REGISTRY_URL: 'http://127.0.0.1:5555', REGISTRY_PORT: '8080' },
      want: { apiPort: 8080 },
    },
    { name: 'a port that is not a number', env: { API_PORT: 'eighty' }, wantError: /API_PORT=eighty is not a TCP port/ },
    { name: 'port 0', env: { REGISTRY_PORT: '0' }, wantError: /REGISTRY_PORT=0 is not a TCP port/ },
    { name: 'a port too large', env: { REGISTRY_PORT: '65536' }, wantError: /REGISTRY_PORT=65536/ },
    { name: 'a negative port', env: { API_PORT: '-1' }, wantError: /API_PORT=-1/ },
    { name: 'the same port twice', env: { API_PORT: '5000' }, wantError: /REGISTRY_PORT and API_PORT are both 5000/ },
    { name: 'a registry URL that is not a URL', env: { REGISTRY_URL: 'localhost:5000' }, wantError: /REGISTRY_URL=localhost:5000/ },
    { name: 'a registry URL that is not http', env: { REGISTRY_URL: 'ftp://x' }, wantError: /only http and https/ },
  ];
  for (const { name, env, want, wantError } of cases) {
    it(`${wantError ? 'refuses' : 'reads'} ${name}`, () => {
      if (wantError) expect(() => readLocalSettings(env, '/repo')).toThrow(wantError);
      else expect(readLocalSettings(env, '/repo')).toMatchObject(want ?? {});
    });
  }
});
