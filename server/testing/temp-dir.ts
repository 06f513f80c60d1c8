import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/**
 * Temporary folders that tests remove after themselves, so that a run leaves nothing in the
 * system's temporary folder however often a machine runs the suite. Two functions, because
 * vitest registers the clean-up differently: per file (or describe) and per test.
 */

/** A new folder, removed when the file's (or the describe's) tests end. Call at a file's or describe's top level. */
export function tempDirForFile(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new folder, removed when the test that asked for it ends, passed or failed. Call inside a test. */
export function tempDirForTest(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
