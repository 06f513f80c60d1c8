import type { Reporter, TestModule } from 'vitest/node';

const SLOWEST_SHOWN = 15;

/**
 * Prints the files that took longest, then one plain closing line ("tests: N passed, N failed,
 * N skipped") after the run. The suite must stay under ten minutes on two cores, and the wall time
 * is decided by its longest files (two run at a time): the list shows where to split next.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const { passed, failed, skipped } = countResults(modules);
    process.stdout.write(slowestFiles(modules));
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

type CountedModule = Pick<TestModule, 'state'> & { children: { allTests(): Iterable<{ result(): { state: string } }> } };

/**
 * Tests passed, failed and skipped. A file that failed with no failed test of its own (it did not
 * import, or a beforeAll or afterAll threw and its tests were skipped) counts as one failure:
 * "0 failed" would hide it.
 */
export function countResults(modules: ReadonlyArray<CountedModule>): { passed: number; failed: number; skipped: number } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const module of modules) {
    let failedHere = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') passed++;
      else if (state === 'failed') failedHere++;
      else skipped++;
    }
    failed += module.state() === 'failed' && failedHere === 0 ? 1 : failedHere;
  }
  return { passed, failed, skipped };
}

function slowestFiles(modules: ReadonlyArray<TestModule>): string {
  const timed = modules.map((module) => {
    const diagnostic = module.diagnostic();
    // Import and set-up count: a file's worker is busy for all of it.
    const seconds = (diagnostic.duration + diagnostic.collectDuration + diagnostic.setupDuration + diagnostic.prepareDuration) / 1000;
    return { path: module.relativeModuleId, project: module.project.name, seconds, importSeconds: diagnostic.collectDuration / 1000 };
  });
  const total = timed.reduce((sum, file) => sum + file.seconds, 0);
  const byProject = new Map<string, { seconds: number; importSeconds: number }>();
  for (const file of timed) {
    const sum = byProject.get(file.project) ?? { seconds: 0, importSeconds: 0 };
    sum.seconds += file.seconds;
    sum.importSeconds += file.importSeconds;
    byProject.set(file.project, sum);
  }
  const projects = [...byProject]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, sum]) => `${name} ${sum.seconds.toFixed(0)} s (importing ${sum.importSeconds.toFixed(0)} s)`)
    .join(', ');
  const lines = timed
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, SLOWEST_SHOWN)
    .map((file) => `  ${file.seconds.toFixed(1).padStart(7)} s  ${file.path}`);
  return `\nslowest files (of ${timed.length}, ${total.toFixed(0)} s in all: ${projects}):\n${lines.join('\n')}\n`;
}
