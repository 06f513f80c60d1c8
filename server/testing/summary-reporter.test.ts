import { describe, expect, it } from 'vitest';
import { countResults } from '../../vitest.summary-reporter.js';

/** A module as the reporter sees it: the file's own state and its tests' states. */
const file = (state: string, tests: string[]) => ({
  state: () => state as never,
  children: { allTests: () => tests.map((s) => ({ result: () => ({ state: s }) })) },
});

describe("the suite's closing line", () => {
  it('counts tests by their state', () => {
    expect(countResults([file('passed', ['passed', 'passed', 'skipped']), file('failed', ['passed', 'failed'])])).toEqual({ passed: 3, failed: 1, skipped: 1 });
  });

  it('counts a file that failed with every test skipped (a beforeAll threw) as a failure', () => {
    expect(countResults([file('failed', ['skipped', 'skipped', 'skipped'])])).toEqual({ passed: 0, failed: 1, skipped: 3 });
  });

  it('counts a file that failed with no test at all (it did not import) as a failure', () => {
    expect(countResults([file('failed', [])])).toEqual({ passed: 0, failed: 1, skipped: 0 });
  });

  it('does not count a failed file twice when its tests failed', () => {
    expect(countResults([file('failed', ['failed', 'failed'])])).toEqual({ passed: 0, failed: 2, skipped: 0 });
  });
});
