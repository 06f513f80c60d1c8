import type { Reporter, TestModule } from 'vitest/node';

const SLOWEST_SHOWN = 15;

/**
 * Prints the files that took longest, then one plain closing line ("tests: N passed, N failed,
 * N skipped") after the run. The suite must stay under ten minutes on two cores, and the wall time
 * is decided by its longest files (two run at a time): the list shows where to split next.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(slowestFiles(modules));
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

function slowestFiles(modules: ReadonlyArray<TestModule>): string {
  const timed = modules.map((module) => {
    const diagnostic = module.diagnostic();
    // Import and set-up count: a file's worker is busy for all of it.
    const seconds = (diagnostic.duration + diagnostic.collectDuration + diagnostic.setupDuration + diagnostic.prepareDuration) / 1000;
    return { path: module.relativeModuleId, seconds };
  });
  const total = timed.reduce((sum, file) => sum + file.seconds, 0);
  const lines = timed
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, SLOWEST_SHOWN)
    .map((file) => `  ${file.seconds.toFixed(1).padStart(7)} s  ${file.path}`);
  return `\nslowest files (of ${timed.length}, ${total.toFixed(0)} s in all):\n${lines.join('\n')}\n`;
}
