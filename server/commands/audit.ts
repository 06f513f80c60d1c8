import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exportAuditEvents } from '../admin/audit-log.js';
import { toAuditJson } from '../audit/audit-event.js';
import { loadConfigFile } from '../config/load-config.js';
import { systemClock, type Clock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { createSilentLogger } from '../core/logger.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import { openConfiguredStorage, storageOptionsFromConfig } from '../storage/storage-options.js';
import type { AuditEvent, Storage } from '../storage/storage.js';
import type { CommandIo } from './check-config.js';

export interface AuditCommandDeps {
  openStorage?: (config: Parameters<typeof storageOptionsFromConfig>[0], configPath: string) => Storage;
  clock?: Clock;
  /** Ends `tail --follow` (Ctrl-C in main; tests abort it). */
  signal?: AbortSignal;
  pollMs?: number;
}

export const AUDIT_USAGE =
  'usage: gatehouse audit tail [--follow] [--lines N] [--kind K] [--user U] [--config FILE]\n' +
  '       gatehouse audit export [--since ISO|DURATION] [--until ISO|DURATION] [--kind K] [--user U] [--config FILE]\n';
const PAGE = 1000;

/** `gatehouse audit tail|export`: the audit log as JSON lines, oldest first. Never a secret: none is stored. */
export async function runAuditCommand(args: string[], env: Record<string, string | undefined>, io: CommandIo, deps: AuditCommandDeps = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        follow: { type: 'boolean', short: 'f' },
        lines: { type: 'string', short: 'n' },
        kind: { type: 'string' },
        user: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
      },
    });
  } catch (error) {
    io.stderr.write(`gatehouse audit: ${(error as Error).message}\n${AUDIT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [verb, ...extra] = positionals;
  const configPath = values.config ?? env.GATEHOUSE_CONFIG;
  if ((verb !== 'tail' && verb !== 'export') || extra.length > 0 || !configPath) {
    io.stderr.write(AUDIT_USAGE);
    return 2;
  }
  const now = (deps.clock ?? systemClock).now();
  const since = values.since === undefined ? undefined : parseTime(values.since, now);
  const until = values.until === undefined ? undefined : parseTime(values.until, now);
  const lines = values.lines === undefined ? 20 : Number(values.lines);
  if (since === null || until === null || !Number.isSafeInteger(lines) || lines < 1 || lines > 10_000) {
    io.stderr.write(`gatehouse audit: --since/--until take an ISO time or a duration ago (90m, 7d); --lines 1..10000\n`);
    return 2;
  }
  const loaded = loadConfigFile(configPath, env);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  let storage: Storage;
  if (deps.openStorage) storage = deps.openStorage(loaded.config.storage, configPath);
  else if (loaded.config.storage.postgres) {
    try {
      storage = await openConfiguredStorage(loaded.config.storage, configPath, { logger: createSilentLogger() });
    } catch (error) {
      io.stderr.write(`${(error as Error).message}\n`);
      return 1;
    }
  } else {
    const options = storageOptionsFromConfig(loaded.config.storage, configPath);
    if (options.path !== ':memory:' && !existsSync(options.path)) {
      io.stderr.write(`${options.path}: no database there (storage.path)\n`);
      return 1;
    }
    storage = openSqliteStorage(options, { logger: createSilentLogger() });
  }
  const wanted = (e: AuditEvent) =>
    (values.kind === undefined || e.kind === values.kind) &&
    (values.user === undefined || e.subject === values.user.toLowerCase()) &&
    (since === undefined || e.at >= since) &&
    (until === undefined || e.at < until);
  const print = (e: AuditEvent) => io.stdout.write(`${JSON.stringify(toAuditJson(e))}\n`);
  try {
    if (verb === 'export') {
      // The console's export: filtered in the database, oldest first, a batch at a time.
      const filter = { kind: values.kind, user: values.user?.toLowerCase(), since, until };
      for await (const event of exportAuditEvents({ storage }, filter)) print(event);
      return 0;
    }
    // Follow from the newest row seen before the backlog is read: nothing falls between the two.
    let last = (await storage.auditEvents.query({ limit: 1 }))[0]?.id ?? 0;
    const recent = await storage.auditEvents.query({ kind: values.kind, subject: values.user?.toLowerCase(), limit: lines });
    recent
      .filter((e) => e.id <= last)
      .reverse()
      .forEach(print);
    if (!values.follow) return 0;
    while (!deps.signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, deps.pollMs ?? 1000));
      for (const event of await storage.auditEvents.after(last, PAGE)) {
        last = event.id;
        if (wanted(event)) print(event);
      }
    }
    return 0;
  } finally {
    storage.close();
  }
}

/** An ISO time, or a duration meaning that long ago; null when it is neither. */
function parseTime(value: string, now: number): number | null {
  const seconds = /^\d+(\.\d+)?[a-z]*$/.test(value) ? parseDuration(value) : undefined;
  if (seconds !== undefined) return now - seconds * 1000;
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? null : at;
}
