import { describe, expect, it } from 'vitest';
import { formatBanner, formatExternalRegistryHint } from '../../src/local/banner.ts';

const info = {
  apiUrl: 'http://127.0.0.1:8080',
  webhookUrl: 'http://127.0.0.1:8080/v1/hooks/registry',
  registryUrl: 'http://127.0.0.1:5000',
  registryFiles: { storage: '/repo/.local/registry/data', log: '/repo/.local/registry/registry.log' },
  dynamoEndpoint: 'http://127.0.0.1:40001',
  dynamoPath: '/repo/.local/dynamodb',
  tokenPath: '/repo/.local/api-token',
  secretPath: '/repo/.local/registry-secret',
  reconcileIntervalMs: 60_000,
  readyMs: 812.4,
  cwd: '/repo',
};

describe('formatBanner', () => {
  it('says where each part is, with paths inside the working folder shown relative', () => {
    const text = formatBanner(info);
    expect(text).toContain('API        http://127.0.0.1:8080/v1   token: .local/api-token');
    expect(text).toContain('webhook    http://127.0.0.1:8080/v1/hooks/registry   secret: .local/registry-secret');
    expect(text).toContain('registry   http://127.0.0.1:5000   storage: .local/registry/data   log: .local/registry/registry.log');
    expect(text).toContain('DynamoDB   http://127.0.0.1:40001 (dynalite)   data: .local/dynamodb');
    expect(text).toContain('(812 ms)');
  });

  it('gives the reconcile interval and how to turn it off', () => {
    expect(formatBanner(info)).toContain('reconcile  every 60 s, first pass now');
    expect(formatBanner(info)).toContain('RECONCILE_INTERVAL=0 turns it off');
    expect(formatBanner({ ...info, reconcileIntervalMs: 1_500 })).toContain('reconcile  every 1.5 s');
  });

  it('says when the reconciler is off', () => {
    const text = formatBanner({ ...info, reconcileIntervalMs: 0 });
    expect(text).toContain('reconcile  off (RECONCILE_INTERVAL=0)');
    expect(text).not.toContain('reconcile  every');
  });

  it('shows how to push with skopeo to the registry it started', () => {
    const pushLines = formatBanner(info)
      .split('\n')
      .filter((line) => line.includes('skopeo copy'));
    expect(pushLines).toEqual([
      '  skopeo copy --dest-tls-verify=false oci:.local/demo/busybox:amd64 docker://127.0.0.1:5000/hello:2.7-amd64',
      '  skopeo copy --dest-tls-verify=false oci:.local/demo/busybox:arm64 docker://127.0.0.1:5000/hello:2.7-arm64',
    ]);
    expect(formatBanner(info)).toContain('npm run demo-images');
  });

  it('shows absolute paths outside the working folder', () => {
    expect(formatBanner({ ...info, cwd: '/elsewhere' })).toContain('token: /repo/.local/api-token');
  });

  it('does not claim a log or storage for a registry it did not start', () => {
    const text = formatBanner({ ...info, registryFiles: undefined, registryUrl: 'http://127.0.0.1:5555' });
    expect(text).toContain('registry   http://127.0.0.1:5555   (yours: REGISTRY_URL)');
    expect(text).not.toContain('registry.log');
  });
});

describe('formatExternalRegistryHint', () => {
  it('gives the notification endpoint to add, naming the secret file rather than the secret', () => {
    const text = formatExternalRegistryHint(info.webhookUrl, info.secretPath, info.cwd);
    expect(text).toContain('url: http://127.0.0.1:8080/v1/hooks/registry');
    expect(text).toContain('Authorization: ["Bearer <the contents of .local/registry-secret>"]');
    expect(text).toContain('ignore: { mediatypes: [application/octet-stream], actions: [pull] }');
  });
});

describe('formatBanner events line', () => {
  it('lists every URL and the secret file, never credentials or query', () => {
    const text = formatBanner({
      ...info,
      notify: {
        urls: ['http://127.0.0.1:9000/events', 'https://bot:pw@hooks.example.com/in?token=abc'],
        secretPath: '/repo/.local/notify-secret',
      },
    });
    expect(text).toContain(
      'events     POST http://127.0.0.1:9000/events   signed with: .local/notify-secret (X-Manifest-Assembler-Signature)',
    );
    expect(text).toContain('             POST https://hooks.example.com/in (credentials or query hidden)');
    expect(text).not.toMatch(/pw|abc/);
  });

  it('says how to turn events on when NOTIFY_URL is not set', () => {
    expect(formatBanner({ ...info, notify: { urls: [], secretPath: '/repo/.local/notify-secret' } })).toContain(
      'events     not sent (set NOTIFY_URL',
    );
  });
});
