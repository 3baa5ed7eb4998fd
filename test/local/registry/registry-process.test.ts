import { describe, expect, it } from 'vitest';
import { withoutRegistryOverrides } from '../../../src/local/registry/registry-process.ts';

describe('withoutRegistryOverrides', () => {
  it('drops every REGISTRY_* variable, which distribution would read as config', () => {
    expect(
      withoutRegistryOverrides({
        PATH: '/bin',
        REGISTRY_PORT: '5000',
        REGISTRY_URL: 'http://x',
        REGISTRY_HTTP_ADDR: ':5000',
        HOME: '/root',
      }),
    ).toEqual({
      PATH: '/bin',
      HOME: '/root',
    });
  });
});
