import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../config/load-config.js';
import { createSilentLogger } from '../core/logger.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import { storageOptionsFromConfig } from '../storage/storage-options.js';
import { captureIo } from '../testing/capture-io.js';
import { LOOKUP_ONLY_HASH } from '../testing/test-password-hash.js';
import { testStorage } from '../testing/test-storage.js';
import { runEnrollCommand } from './enroll.js';
import { tempDirForFile } from '../testing/temp-dir.js';

const dir = tempDirForFile('gatehouse-enroll-');
const CONFIG = join(dir, 'gatehouse.yml');
writeFileSync(
  CONFIG,
  stringify({ server: { portal_url: 'https://auth.corp.example/' }, session: { store: 'memory' }, authentication: { users_file: 'users.yml' }, storage: testStorage('g.db') }),
);
const NOW = Date.UTC(2026, 10, 26, 12);

async function run(...args: string[]) {
  const captured = captureIo();
  const code = await runEnrollCommand(args, { GATEHOUSE_CONFIG: CONFIG }, captured.io, () => NOW);
  return { code, out: captured.out(), err: captured.err() };
}

describe('gatehouse enroll issue', () => {
  it('issues a single-use code, stores only its hash, and leaves one audit event without the code', async () => {
    writeFileSync(join(dir, 'users.yml'), stringify({ users: { alice: { displayname: 'Alice', email: 'a@corp.example', password: LOOKUP_ONLY_HASH } } }));
    const result = await run('issue', 'alice', '--by', 'helpdesk-7', '--ttl', '2h');
    expect(result.code).toBe(0);
    const code = /Enrollment code for alice: (\S+)/.exec(result.out)?.[1];
    expect(code).toBeDefined();
    expect(result.out).toContain(new Date(NOW + 2 * 3600_000).toISOString());

    const loaded = loadConfigFile(CONFIG, {});
    if (!loaded.ok) throw new Error(loaded.errors.join());
    const storage = openSqliteStorage(storageOptionsFromConfig(loaded.config.storage, CONFIG), { logger: createSilentLogger() });
    try {
      const events = await storage.auditEvents.query({ kind: 'enrollment.code_issued', limit: 10 });
      expect(events).toEqual([expect.objectContaining({ subject: 'alice', actor: 'cli:helpdesk-7', at: NOW, details: expect.objectContaining({ by: 'helpdesk-7' }) })]);
      expect(JSON.stringify(events)).not.toContain(code!);
      const canonical = code!.replace(/-/g, '').toUpperCase();
      const stored = await storage.enrollmentCodes.findByHash(createHash('sha256').update(`gatehouse-enrollment:${canonical}`).digest('base64url'));
      expect(stored).toMatchObject({ username: 'alice', method: 'admin', issuedBy: 'helpdesk-7', usedAt: null, expiresAt: NOW + 2 * 3600_000 });
      expect(JSON.stringify(stored)).not.toContain(canonical);
    } finally {
      storage.close();
    }
  });

  it.each([
    [['issue'], 2],
    [['show', 'alice'], 2],
    [['issue', 'alice', 'bob'], 2],
    [['issue', 'alice', '--ttl', 'forever'], 2],
    [['issue', 'alice', '--ttl', '31d'], 2],
    [['issue', 'nobody'], 1],
  ])('refuses %j with exit %i and issues nothing', async (args, exit) => {
    const result = await run(...(args as string[]));
    expect(result.code).toBe(exit);
    expect(result.out).not.toContain('Enrollment code for');
  });
});
