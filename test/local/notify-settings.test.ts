import { describe, expect, it } from 'vitest';
import { formatBanner } from '../../src/local/banner.ts';
import { readLocalSettings } from '../../src/local/local-settings.ts';

describe('readLocalSettings NOTIFY_URL', () => {
  it.each([
    ['unset', {}, []],
    ['empty', { NOTIFY_URL: ' ' }, []],
    ['one URL', { NOTIFY_URL: 'http://127.0.0.1:9000/events' }, ['http://127.0.0.1:9000/events']],
    ['several, comma-separated, spaces trimmed', { NOTIFY_URL: 'http://127.0.0.1:9000/a, https://hooks.example.com/b?token=x' }, ['http://127.0.0.1:9000/a', 'https://hooks.example.com/b?token=x']],
  ])('reads %s', (_name, env, urls) => {
    expect(readLocalSettings(env, '/repo').notifyUrls).toEqual(urls);
  });

  it.each([
    ['a value that is not a URL', { NOTIFY_URL: 'localhost:9000' }, /NOTIFY_URL: entry 1 uses localhost; only http and https/],
    ['a relative path', { NOTIFY_URL: '/events' }, /NOTIFY_URL: entry 1 is not a URL/],
    ['an empty entry', { NOTIFY_URL: 'http://127.0.0.1:9000/a,' }, /NOTIFY_URL: entry 2 is not a URL/],
    ['another scheme', { NOTIFY_URL: 'http://127.0.0.1:9000/a,ftp://x/y' }, /NOTIFY_URL: entry 2 uses ftp; only http and https are supported/],
    ['a URL twice', { NOTIFY_URL: 'http://a/x,http://a/x' }, /NOTIFY_URL: a URL is listed twice/],
  ])('refuses %s, naming NOTIFY_URL and the entry', (_name, env, error) => {
    expect(() => readLocalSettings(env, '/repo')).toThrow(error);
  });

  it('does not echo a refused value, which may hold a token', () => {
    expect(() => readLocalSettings({ NOTIFY_URL: 'ftp://user:s3cret@x/y' }, '/repo')).toThrow(/^(?!.*s3cret)/);
  });
});

describe('formatBanner events line', () => {
  const info = {
    apiUrl: 'http://127.0.0.1:8080',
    webhookUrl: 'http://127.0.0.1:8080/v1/hooks/registry',
    registryUrl: 'http://127.0.0.1:5000',
    registryFiles: undefined,
    dynamoEndpoint: 'http://127.0.0.1:40001',
    dynamoPath: '/repo/.local/dynamodb',
    tokenPath: '/repo/.local/api-token',
    secretPath: '/repo/.local/registry-secret',
    reconcileIntervalMs: 60_000,
    readyMs: 812.4,
    cwd: '/repo',
  };

  it('lists every URL and the secret file, never credentials or query', () => {
    const text = formatBanner({ ...info, notify: { urls: ['http://127.0.0.1:9000/events', 'https://bot:pw@hooks.example.com/in?token=abc'], secretPath: '/repo/.local/notify-secret' } });
    expect(text).toContain('events     POST http://127.0.0.1:9000/events   signed with: .local/notify-secret (X-Manifest-Assembler-Signature)');
    expect(text).toContain('             POST https://hooks.example.com/in (credentials or query hidden)');
    expect(text).not.toMatch(/pw|abc/);
  });

  it('says how to turn events on when NOTIFY_URL is not set', () => {
    expect(formatBanner({ ...info, notify: { urls: [], secretPath: '/repo/.local/notify-secret' } })).toContain('events     not sent (set NOTIFY_URL');
  });
});
