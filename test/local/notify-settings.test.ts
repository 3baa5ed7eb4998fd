import { describe, expect, it } from 'vitest';
import { readLocalSettings } from '../../src/local/local-settings.ts';

describe('readLocalSettings NOTIFY_URL', () => {
  it.each([
    ['unset', {}, []],
    ['empty', { NOTIFY_URL: ' ' }, []],
    ['one URL', { NOTIFY_URL: 'http://127.0.0.1:9000/events' }, ['http://127.0.0.1:9000/events']],
    [
      'several, comma-separated, spaces trimmed',
      { NOTIFY_URL: 'http://127.0.0.1:9000/a, https://hooks.example.com/b?token=x' },
      ['http://127.0.0.1:9000/a', 'https://hooks.example.com/b?token=x'],
    ],
  ])('reads %s', (_name, env, urls) => {
    expect(readLocalSettings(env, '/repo').notifyUrls).toEqual(urls);
  });

  it.each([
    ['a value that is not a URL', { NOTIFY_URL: 'localhost:9000' }, /NOTIFY_URL: entry 1 uses localhost; only http and https/],
    ['a relative path', { NOTIFY_URL: '/events' }, /NOTIFY_URL: entry 1 is not a URL/],
    ['an empty entry', { NOTIFY_URL: 'http://127.0.0.1:9000/a,' }, /NOTIFY_URL: entry 2 is not a URL/],
    [
      'another scheme',
      { NOTIFY_URL: 'http://127.0.0.1:9000/a,ftp://x/y' },
      /NOTIFY_URL: entry 2 uses ftp; only http and https are supported/,
    ],
    ['a URL twice', { NOTIFY_URL: 'http://a/x,http://a/x' }, /NOTIFY_URL: a URL is listed twice/],
  ])('refuses %s, naming NOTIFY_URL and the entry', (_name, env, error) => {
    expect(() => readLocalSettings(env, '/repo')).toThrow(error);
  });

  it('does not echo a refused value, which may hold a token', () => {
    expect(() => readLocalSettings({ NOTIFY_URL: 'ftp://user:s3cret@x/y' }, '/repo')).toThrow(/^(?!.*s3cret)/);
  });
});
