import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing running; `int` talks to the real registry and dynalite,
// which the global setups start once for the whole run (and stop afterwards).
export default defineConfig({
  test: {
    env: { NODE_NO_WARNINGS: '1', AWS_REGION: 'us-east-1' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'test/**/*.e2e.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['test/**/*.int.test.ts', 'test/**/*.e2e.test.ts'],
          globalSetup: ['test/support/registry.global.ts', 'test/support/dynalite.global.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
