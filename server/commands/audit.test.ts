import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createFixedClock } from '../core/clock.js';
import { createSilentLogger } from '../core/logger.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import { storageOptionsFromConfig } from '../storage/storage-options.js';
import type { NewAuditEvent } from '../storage/storage.js';
import { captureIo } from '../testing/capture-io.js';
import { testStorage } from '../testing/test-storage.js';
import { runAuditCommand } from './audit.js';
import { tempDirForTest } from '../testing/temp-dir.js';

const NOW = Date.UTC(2026, 0, 10);
const HOUR = 3_600_000;

async function setUp(events: NewAuditEvent[]) {
  const dir = tempDirForTest('gatehouse-audit-');
  const config = join(dir, 'gatehouse.yml');
  writeFileSync(
    config,
    stringify({ server: { portal_url: 'https://auth.corp.example/' }, session: { store: 'memory' }, authentication: { users_file: 'users.yml' }, storage: testStorage('g.db') }),
  );
  const open = () => openSqliteStorage(storageOptionsFromConfig(testStorage('g.db'), config), { logger: createSilentLogger() });
  const storage = open();
  for (const e of events) await storage.auditEvents.append(e);
  storage.close();
  const run = async (args: string[], deps = {}) => {
    const c = captureIo();
    const code = await runAuditCommand([...args, '--config', config], {}, c.io, { clock: createFixedClock(NOW), ...deps });
    return {
      code,
      lines: c
        .out()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
      err: c.err(),
    };
  };
  return { run, open };
}

const EVENTS: NewAuditEvent[] = [
  { at: NOW - 48 * HOUR, kind: 'sign_in.failure', result: 'failure', subject: 'alice', reason: 'invalid-credentials' },
  { at: NOW - 2 * HOUR, kind: 'sign_in.success', result: 'success', subject: 'alice', clientIp: '192.0.2.1' },
  { at: NOW - HOUR, kind: 'sign_in.failure', result: 'failure', subject: 'bob', reason: 'invalid-credentials' },
  { at: NOW - 1000, kind: 'sign_out', result: 'info', subject: 'alice' },
];

describe('gatehouse audit', () => {
  it('export prints every event as a JSON line, oldest first, with ISO times', async () => {
    const { run } = await setUp(EVENTS);
    const { code, lines } = await run(['export']);
    expect(code).toBe(0);
    expect(lines.map((l) => [l.kind, l.subject])).toEqual([
      ['sign_in.failure', 'alice'],
      ['sign_in.success', 'alice'],
      ['sign_in.failure', 'bob'],
      ['sign_out', 'alice'],
    ]);
    expect(lines[1]).toMatchObject({ at: new Date(NOW - 2 * HOUR).toISOString(), clientIp: '192.0.2.1', result: 'success' });
  });

  it.each([
    [
      ['--user', 'ALICE'],
      ['sign_in.failure', 'sign_in.success', 'sign_out'],
    ],
    [
      ['--kind', 'sign_in.failure'],
      ['sign_in.failure', 'sign_in.failure'],
    ],
    [
      ['--since', '24h'],
      ['sign_in.success', 'sign_in.failure', 'sign_out'],
    ],
    [['--since', '90m', '--until', '1m'], ['sign_in.failure']],
    [['--until', new Date(NOW - 3 * HOUR).toISOString()], ['sign_in.failure']],
    [['--user', 'carol'], []],
  ])('export %j', async (filters, kinds) => {
    const { run } = await setUp(EVENTS);
    expect((await run(['export', ...filters])).lines.map((l) => l.kind)).toEqual(kinds);
  });

  it('tail prints the last N matching, oldest first', async () => {
    const { run } = await setUp(EVENTS);
    expect((await run(['tail', '--lines', '2'])).lines.map((l) => l.kind)).toEqual(['sign_in.failure', 'sign_out']);
    expect((await run(['tail', '--user', 'alice', '-n', '2'])).lines.map((l) => l.kind)).toEqual(['sign_in.success', 'sign_out']);
  });

  it('tail --follow prints new matching events until stopped', async () => {
    const { run, open } = await setUp(EVENTS.slice(0, 1));
    const stop = new AbortController();
    const running = run(['tail', '--follow', '--user', 'bob'], { signal: stop.signal, pollMs: 10 });
    const writer = open();
    await writer.auditEvents.append({ at: NOW, kind: 'lockout', result: 'failure', subject: 'bob' });
    await writer.auditEvents.append({ at: NOW, kind: 'sign_out', result: 'info', subject: 'alice' });
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    writer.close();
    const { code, lines } = await running;
    expect(code).toBe(0);
    expect(lines.map((l) => [l.kind, l.subject])).toEqual([['lockout', 'bob']]);
  });

  it.each([[['nonsense']], [['export', '--since', 'yesterday']], [['tail', '--lines', '0']], [['export', '--bogus']]])('refuses %j with usage', async (args) => {
    const { run } = await setUp([]);
    const { code, err } = await run(args);
    expect(code).toBe(2);
    expect(err).toMatch(/usage|--since/);
  });
});
