import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // pg-global first: its server's directory must be outside the run's 0700 temp root (issue 17)
    globalSetup: ['test/support/pg-global.ts', 'test/support/temp-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration and browser tests start servers and a browser; two cores do not like many at once.
    maxWorkers: 2,
  },
});
