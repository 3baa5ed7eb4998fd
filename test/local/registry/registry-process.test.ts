import { describe, expect, it } from 'vitest';
import { REGISTRY_GOGC, registryEnvironment } from '../../../src/local/registry/registry-process.ts';

describe('registryEnvironment', () => {
  it('drops every REGISTRY_* variable, which distribution would read as config, and sets GOGC', () => {
    expect(
      registryEnvironment({
        PATH: '/bin',
        REGISTRY_PORT: '5000',
        REGISTRY_URL: 'http://x',
        REGISTRY_HTTP_ADDR: ':5000',
        HOME: '/root',
      }),
    ).toEqual({
      PATH: '/bin',
      HOME: '/root',
      GOGC: REGISTRY_GOGC,
    });
  });

  it("keeps a GOGC the environment sets (the user's choice for their Go programs)", () => {
    expect(registryEnvironment({ PATH: '/bin', GOGC: 'off' })).toEqual({ PATH: '/bin', GOGC: 'off' });
  });
});
