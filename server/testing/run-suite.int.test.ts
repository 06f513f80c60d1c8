import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * `npm test`'s runner (run-suite.ts) against stand-in tools in a temporary folder: each records
 * its arguments and exits as told, so what the runner reports and returns can be checked without
 * running the real type check or suite.
 */
const runner = join(import.meta.dirname, 'run-suite.ts');
const tsx = createRequire(import.meta.url).resolve('tsx');

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Stand-ins for tsc, biome and vitest that print a line, record their arguments and exit with the given codes. */
async function tools(codes: { tsc?: number; biome?: number; vitest?: number }) {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-run-suite-'));
  const bin = join(dir, 'node_modules', '.bin');
  await mkdir(bin, { recursive: true });
  for (const name of ['tsc', 'biome', 'vitest'] as const) {
    const script = `#!/bin/sh\necho "$@" > "${join(dir, `${name}.args`)}"\necho "${name} says hello"\nexit ${codes[name] ?? 0}\n`;
    await writeFile(join(bin, name), script);
    await chmod(join(bin, name), 0o755);
  }
  return dir;
}

function runSuite(cwd: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, runner, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm test runs the type check and the linter beside the tests', () => {
  it('passes when all three pass, and hands its arguments to vitest run', async () => {
    const cwd = await tools({});
    const result = await runSuite(cwd, ['--project', 'unit']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/type check: passed in [\d.]+ s/);
    expect(result.stdout).toMatch(/lint: passed in [\d.]+ s/);
    expect(result.stdout).toMatch(/tests: passed in [\d.]+ s/);
    // The tests' own output reaches the terminal; the checks' stays quiet when they pass.
    expect(result.stdout).toContain('vitest says hello');
    expect(result.stdout + result.stderr).not.toContain('tsc says hello');
    expect((await readFile(join(cwd, 'vitest.args'), 'utf8')).trim()).toBe('run --project unit');
    expect((await readFile(join(cwd, 'tsc.args'), 'utf8')).trim()).toBe('-p tsconfig.json --noEmit');
    expect((await readFile(join(cwd, 'biome.args'), 'utf8')).trim()).toBe('ci .');
  }, 120_000);

  it('fails when the type check fails, shows its output, and still lets the tests finish', async () => {
    const cwd = await tools({ tsc: 2 });
    const result = await runSuite(cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('type check: FAILED (exit 2)');
    expect(result.stderr).toContain('tsc says hello');
    expect(result.stdout).toMatch(/tests: passed/);
  }, 120_000);

  it("fails with the tests' exit code when only the tests fail", async () => {
    const cwd = await tools({ vitest: 1 });
    const result = await runSuite(cwd);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/tests: FAILED \(exit 1\)/);
    expect(result.stdout).toMatch(/type check: passed/);
  }, 120_000);

  it('fails when the linter fails', async () => {
    const cwd = await tools({ biome: 1 });
    const result = await runSuite(cwd);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('lint: FAILED (exit 1)');
    expect(result.stderr).toContain('biome says hello');
  }, 120_000);
});
