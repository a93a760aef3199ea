import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/temp-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration and browser tests start servers and a browser; two cores do not like many at once.
    maxWorkers: 2,
  },
});
