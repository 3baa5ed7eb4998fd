import { describe, expect, it } from 'vitest';
import { renderRegistryConfig } from '../../../src/local/registry/registry-config.ts';

const base = { addr: '127.0.0.1:5000', rootDirectory: '/data/registry', httpSecret: 'h' };

describe('renderRegistryConfig', () => {
  it('listens where asked and stores under the root directory, logging at warn', () => {
    const yaml = renderRegistryConfig(base);
    expect(yaml).toContain('  addr: "127.0.0.1:5000"\n');
    expect(yaml).toContain('    rootdirectory: "/data/registry"\n');
    expect(yaml).toContain('  level: "warn"\n');
    expect(yaml).not.toContain('notifications:');
    expect(yaml).not.toContain('auth:');
  });

  describe('when notifications are asked for', () => {
    const yaml = renderRegistryConfig({ ...base, notifications: { url: 'http://127.0.0.1:8080/v1/hooks/registry', secret: 's3cr3t' } });

    it('sends the secret as a Bearer Authorization header', () => {
      expect(yaml).toContain('        Authorization: ["Bearer s3cr3t"]\n');
      expect(yaml).toContain('      url: "http://127.0.0.1:8080/v1/hooks/registry"\n');
    });

    it('includes references and skips blob events and pulls', () => {
      expect(yaml).toContain('    includereferences: true\n');
      expect(yaml).toContain('        mediatypes: ["application/octet-stream"]\n        actions: ["pull"]\n');
    });
  });

  it('quotes values so that YAML syntax inside them stays text', () => {
    const yaml = renderRegistryConfig({ ...base, rootDirectory: '/tmp/a: b #c\n  d', httpSecret: '"x"' });
    expect(yaml).toContain('    rootdirectory: "/tmp/a: b #c\\n  d"\n');
    expect(yaml).toContain('  secret: "\\"x\\""\n');
  });

  it('configures token auth with the four settings distribution 2.8 needs', () => {
    const yaml = renderRegistryConfig({
      ...base,
      tokenAuth: { realm: 'http://127.0.0.1:1/token', service: 'svc', issuer: 'iss', rootCertBundlePath: '/c.pem' },
    });
    expect(yaml).toContain(
      'auth:\n  token:\n    realm: "http://127.0.0.1:1/token"\n    service: "svc"\n    issuer: "iss"\n    rootcertbundle: "/c.pem"\n',
    );
  });

  it('refuses htpasswd and token auth together', () => {
    expect(() =>
      renderRegistryConfig({ ...base, htpasswdPath: '/h', tokenAuth: { realm: 'r', service: 's', issuer: 'i', rootCertBundlePath: '/c' } }),
    ).toThrow(/exclusive/);
  });
});

describe('renderRegistryConfig response headers', () => {
  it('adds each extra header as a one-value list', () => {
    const yaml = renderRegistryConfig({ ...base, responseHeaders: { 'X-Registry-Instance': 'abc' } });
    expect(yaml).toContain('    X-Content-Type-Options: ["nosniff"]\n    "X-Registry-Instance": ["abc"]\n');
  });
});
