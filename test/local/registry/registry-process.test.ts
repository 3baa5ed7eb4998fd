import { describe, expect, it } from 'vitest';
import { REGISTRY_GO_ENVIRONMENT, registryEnvironment } from '../../../src/local/registry/registry-process.ts';

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
      GOGC: '400',
      GOMEMLIMIT: '64MiB',
    });
  });

  it("keeps a GOGC or GOMEMLIMIT the environment sets (the user's choice for their Go programs), each on its own", () => {
    expect(registryEnvironment({ PATH: '/bin', GOGC: 'off' })).toEqual({ PATH: '/bin', GOGC: 'off', GOMEMLIMIT: '64MiB' });
    expect(registryEnvironment({ GOMEMLIMIT: '1GiB' })).toEqual({ GOGC: '400', GOMEMLIMIT: '1GiB' });
    expect(REGISTRY_GO_ENVIRONMENT).toEqual({ GOGC: '400', GOMEMLIMIT: '64MiB' });
  });
});
