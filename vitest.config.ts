import { defineConfig } from 'vitest/config';

/**
 * Three projects, one command (`npm test`):
 * - unit: beside the code, memory stores, pinned clocks (`*.test.ts`);
 * - integration: HTTP against createApp with a real Redis and nginx started by the test (`*.int.test.ts`);
 * - e2e: real Chromium driven by playwright-core (`e2e/**\/*.e2e.test.ts`).
 *
 * Timeouts are ceilings for a stuck test, never assertions: the suite runs on 2-core machines
 * shared with other work, where everything can take ten times as long as on an idle one.
 * Tests whose work is slow by nature (real argon2, spawned processes) set their own.
 *
 * Two groups, one after the other (`sequence.groupOrder`; vitest allows a worker count per group):
 * - unit and integration files first, four at a time: integration files mostly wait on Redis,
 *   nginx, PostgreSQL or a timer, so on two cores four keep them busy (about 95 %);
 * - then the browser files, two at a time: Chromium is four fifths of their CPU and two already
 *   keep two cores about 88 % busy (three were no faster).
 * On two idle cores, clean clone: vitest 541 s, against 606 s with all three projects mixed two
 * at a time (the groups alone: about 190 and 365 s).
 * npm test runs the type check and the linter beside them (server/testing/run-suite.ts), where
 * the first group leaves the cores room.
 */
/**
 * `expect.poll` waits for a condition (an alert shown, a log line written) for 1 s by default: a
 * wall-clock budget a busy machine exceeds (a browser test failed so at load 20). Like the test
 * timeouts, its ceiling is for a stuck condition only; a condition met sooner ends the wait at once.
 */
const expectOptions = { poll: { timeout: 15_000 } };

export default defineConfig({
  test: {
    maxWorkers: 2,
    reporters: ['default', './vitest.summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          maxWorkers: 4,
          expect: expectOptions,
          include: ['server/**/*.test.ts', 'client/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          // One module graph per worker instead of one per file: importing the server's modules
          // again for each of 150 files was half the unit project's time (unit project at load
          // ~18: 8 min 5 s isolated, 2 min 27 s shared; user CPU 128 s → 39 s). Unit tests keep
          // no state in modules (memory stores and clocks are made per test), and they all pass
          // either way.
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 0 },
          maxWorkers: 4,
          expect: expectOptions,
          // Shared module graph too: each file starts its own servers in beforeAll and stops them
          // in afterAll, and keeps its state in the file's own module (which is always loaded
          // afresh). Importing the gateway again per file was 120 of the project's 553 s of work
          // on two idle cores; shared, 12 of 412 s (wall 294 → 207 s).
          isolate: false,
          include: ['server/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
          maxWorkers: 2,
          expect: expectOptions,
          // As for integration: Chromium and every stack belong to one file and are closed in its
          // afterAll. Importing playwright-core and the gateway per file was 53–69 s of the
          // project's 800–890 s; shared, 11 of 688 s (wall 407–457 → 349 s).
          isolate: false,
          include: ['e2e/**/*.e2e.test.ts'],
          // A browser walk of many pages, at load 20–30 with two suites on two cores, came near 60 s.
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
