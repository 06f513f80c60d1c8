/**
 * `npm test`: the type check and the linter run beside vitest instead of before it.
 *
 * The type check (TypeScript 7, native) is ~12 s of CPU, about 7 s of wall time on an idle machine (TypeScript
 * 5.9 took ~30 s of CPU): run first, it added its whole time to the suite's. Beside
 * vitest's first group (unit and integration files, which mostly wait) it takes longer but adds
 * almost nothing: on a clean clone on two idle cores, `npm test` 545 s for a vitest run of 541 s.
 * Both checks must pass as before, and `npm test -- ARGS` still passes ARGS to `vitest run`.
 *
 * A failed check does not stop the tests: vitest stopped from outside ends its workers at once, and
 * the servers those files started (Redis, nginx, Chromium…) would be left behind. Its output is
 * printed as soon as it ends, and the run exits non-zero when the tests are done.
 *
 * Written here rather than with `concurrently` or `npm-run-all`: those pipe every command's output,
 * which turns vitest's live progress and colours off on a terminal; here vitest keeps the terminal
 * and only the checks' (short) output is collected.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';

interface Check {
  name: string;
  command: string;
  args: string[];
}

const CHECKS: Check[] = [
  { name: 'type check', command: 'tsc', args: ['-p', 'tsconfig.json', '--noEmit'] },
  { name: 'lint', command: 'biome', args: ['ci', '.'] },
];

interface Finished {
  name: string;
  code: number;
  seconds: number;
  output: string;
}

// The repository's own tools, as npm scripts find them, also when this file is run directly.
const env = { ...process.env, PATH: [join(process.cwd(), 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter) };

const running = new Set<ChildProcess>();
// Stopped (Ctrl-C, or a CI runner's SIGTERM): pass it on and wait for the children to end, so that
// nothing is left running and vitest's last lines are not cut off.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal);
  });
}

function run(name: string, command: string, args: string[], collect: boolean): Promise<Finished> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: collect ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    running.add(child);
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = (code: number, extra = '') => {
      running.delete(child);
      resolve({ name, code, seconds: (performance.now() - started) / 1000, output: Buffer.concat(chunks).toString('utf8') + extra });
    };
    child.on('error', (error) => done(127, `${name}: could not start ${command}: ${error.message}\n`));
    // A child ended by a signal reports no code: count it as a failure.
    child.on('close', (code, signal) => done(code ?? 1, signal ? `${name}: ended by ${signal}\n` : ''));
  });
}

function line(check: Finished): string {
  return `${check.name}: ${check.code === 0 ? 'passed' : `FAILED (exit ${check.code})`} in ${check.seconds.toFixed(1)} s`;
}

const checks = CHECKS.map((check) =>
  run(check.name, check.command, check.args, true).then((finished) => {
    // A failure is shown at once, not after ten minutes of tests.
    if (finished.code !== 0) process.stderr.write(`\n${line(finished)}\n${finished.output}\n`);
    return finished;
  }),
);
const tests = run('tests', 'vitest', ['run', ...process.argv.slice(2)], false);

const finished = await Promise.all([...checks, tests]);
process.stdout.write(`\n${finished.map(line).join('\n')}\n`);
for (const check of finished.filter((f) => f.code !== 0 && f.name !== 'tests')) process.stderr.write(`\n${check.name} output:\n${check.output}`);
process.exitCode = finished.find((f) => f.code !== 0)?.code ?? 0;
