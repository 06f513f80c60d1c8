import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createSilentLogger } from '../core/logger.js';
import { describeMultiProcessContract, RACE_KEY } from './testing/multi-process-contract.js';
import { openSqliteStorage } from './sqlite-storage.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-race-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describeMultiProcessContract('SQLite', async () => {
  const location = join(dir, 'gatehouse.db');
  return { location, storage: openSqliteStorage({ path: location, keys: [RACE_KEY] }, { logger: createSilentLogger() }) };
});
