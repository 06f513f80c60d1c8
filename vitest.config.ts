import { defineConfig } from 'vitest/config';

/**
 * Three projects, one command (`npm test`):
 * - unit: beside the code, memory stores, pinned clocks (`*.test.ts`);
 * - integration: HTTP against createApp with a real Redis and nginx started by the test (`*.int.test.ts`);
 * - e2e: real Chromium driven by playwright-core (`e2e/**\/*.e2e.test.ts`).
 */
export default defineConfig({
  test: {
    reporters: ['default', './vitest.summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['server/**/*.test.ts', 'client/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['server/**/*.int.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
