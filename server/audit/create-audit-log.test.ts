import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFixedClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import type { Storage } from '../storage/storage.js';
import { openTestStorage } from '../storage/testing/test-storage.js';
import { createAuditLog, type AuditLog } from './create-audit-log.js';

const NOW = Date.UTC(2026, 0, 1);
let storage: Storage;
let lines: Record<string, unknown>[];
let logs: AuditLog[];
const logger = () => createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
const audit = (options: Parameters<typeof createAuditLog>[1] = {}, store: Pick<Storage, 'auditEvents'> = storage) => {
  const log = createAuditLog({ storage: store, logger: logger(), clock: createFixedClock(NOW) }, options);
  logs.push(log);
  return log;
};

beforeEach(() => {
  storage = openTestStorage();
  lines = [];
  logs = [];
});
afterEach(() => {
  for (const log of logs) log.close();
  storage.close();
});

describe('createAuditLog', () => {
  it('stores the event and logs the same line as before, with client IP, user agent and site', async () => {
    await audit().record({
      kind: 'sign_in.failure',
      result: 'failure',
      subject: 'alice',
      clientIp: '192.0.2.9',
      userAgent: 'curl/8',
      site: 'wiki',
      reason: 'invalid-credentials',
      requestId: 'req-1',
      details: { factor: 'password' },
      message: 'sign-in failed',
    });
    expect(await storage.auditEvents.query({ limit: 10 })).toEqual([
      {
        id: expect.any(Number),
        at: NOW,
        kind: 'sign_in.failure',
        result: 'failure',
        actor: 'alice',
        subject: 'alice',
        clientIp: '192.0.2.9',
        userAgent: 'curl/8',
        site: 'wiki',
        reason: 'invalid-credentials',
        details: { requestId: 'req-1', factor: 'password' },
      },
    ]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'sign-in failed',
        event: 'sign_in.failure',
        username: 'alice',
        ip: '192.0.2.9',
        requestId: 'req-1',
        reason: 'invalid-credentials',
        factor: 'password',
        userAgent: 'curl/8',
        site: 'wiki',
      }),
    ]);
  });

  it('keeps an actor apart from the subject when someone else acted', async () => {
    await audit().record({ kind: 'enrollment.code_issued', result: 'info', subject: 'bob', actor: 'it-desk' });
    expect((await storage.auditEvents.query({ limit: 1 }))[0]).toMatchObject({ actor: 'it-desk', subject: 'bob' });
    expect(lines[0]).toMatchObject({ event: 'enrollment.code_issued', username: 'bob', actor: 'it-desk' });
  });

  it.each([
    ['password', 'hunter2-secret'],
    ['code', '123456'],
    ['token', 'tok-secret-value'],
    ['cookie', 'sess=abc-secret'],
    ['response', 'assertion-secret'],
  ])('drops a %s field from storage and from the log line', async (key, value) => {
    await audit().record({ kind: 'second_factor.failure', result: 'failure', subject: 'alice', details: { factor: 'totp', [key]: value } });
    const [stored] = await storage.auditEvents.query({ limit: 1 });
    expect(stored!.details).toEqual({ factor: 'totp' });
    expect(JSON.stringify(lines)).not.toContain(value);
    expect(lines.some((l) => l.msg === 'audit: fields outside the allow-list were not recorded')).toBe(true);
  });

  it('logs, and does not throw, when storage is down', async () => {
    const broken = {
      auditEvents: {
        append: async () => {
          throw new Error('SQLITE_BUSY');
        },
        query: async () => [],
        after: async () => [],
        latestId: async () => 0,
        countByInterval: async () => [],
      },
    };
    await expect(audit({}, broken).record({ kind: 'sign_in.success', result: 'success', subject: 'alice' })).resolves.toBeUndefined();
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'audit: could not store the event', event: 'sign_in.success', err: 'SQLITE_BUSY' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', event: 'sign_in.success' }));
  });

  it('uses the warn level when asked', async () => {
    await audit().record({ kind: 'webauthn.clone_warning', result: 'failure', subject: 'alice', level: 'warn' });
    expect(lines[0]).toMatchObject({ level: 'warn', event: 'webauthn.clone_warning', msg: 'webauthn clone warning' });
  });
});

describe('the alert webhook', () => {
  let server: Server;
  let url: URL;
  let received: { body: Record<string, unknown>; contentType: string | undefined }[];
  let answers: number[];
  let hang: boolean;
  /** Requests the webhook has read and holds without answering (while `hang`). */
  let held: number;

  beforeEach(async () => {
    received = [];
    answers = [];
    hang = false;
    held = 0;
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (hang) return void held++;
        received.push({ body: JSON.parse(body), contentType: req.headers['content-type'] });
        res.statusCode = answers.shift() ?? 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const webhook = (overrides: Partial<{ kinds: string[]; timeout: number; retries: number }> = {}) => ({
    webhook: { url, kinds: ['webauthn.clone_warning', 'lockout'], timeout: 5, retries: 3, ...overrides },
  });

  it('posts chosen kinds as JSON, and only those', async () => {
    const log = audit({ config: webhook(), webhookBackoffMs: 5 });
    await log.record({ kind: 'sign_in.failure', result: 'failure', subject: 'alice' });
    await log.record({ kind: 'webauthn.clone_warning', result: 'failure', subject: 'alice', clientIp: '192.0.2.1', details: { credential: 'c1' } });
    await log.flush();
    const [stored] = await storage.auditEvents.query({ kind: 'webauthn.clone_warning', limit: 1 });
    expect(received).toEqual([
      {
        contentType: 'application/json',
        body: { ...stored, at: new Date(NOW).toISOString() },
      },
    ]);
  });

  it('retries after a 500 and delivers', async () => {
    answers = [500, 503];
    const log = audit({ config: webhook(), webhookBackoffMs: 5 });
    await log.record({ kind: 'lockout', result: 'info', subject: 'bob' });
    await log.flush();
    expect(received.map((r) => r.body.kind)).toEqual(['lockout', 'lockout', 'lockout']);
    expect(lines.filter((l) => l.msg === 'audit webhook refused the event').map((l) => l.status)).toEqual([500, 503]);
    expect(lines.some((l) => l.msg === 'audit webhook: gave up delivering an event')).toBe(false);
  });

  it('gives up after the configured retries and says so, without the URL', async () => {
    answers = [500, 500, 500];
    const log = audit({ config: webhook({ retries: 2 }), webhookBackoffMs: 5 });
    await log.record({ kind: 'lockout', result: 'info', subject: 'bob' });
    await log.flush();
    expect(received).toHaveLength(3);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'audit webhook: gave up delivering an event' }));
    expect(JSON.stringify(lines)).not.toContain('/hook');
  });

  it('never delays record() when the webhook hangs', async () => {
    hang = true;
    const log = audit({ config: webhook({ timeout: 30 }), webhookBackoffMs: 5 });
    let delivered = false;
    // Every record() returns while its delivery is still held open by the webhook (it never
    // answers, and gives up only after 30 s): a record() that waited would not return here.
    for (let i = 0; i < 20; i++) await log.record({ kind: 'lockout', result: 'info', subject: `u${i}` });
    void log.flush().then(() => (delivered = true));
    expect(await storage.auditEvents.query({ limit: 100 })).toHaveLength(20);
    await expect.poll(() => held, { timeout: 20_000 }).toBe(20);
    expect(delivered).toBe(false);
    log.close();
    await log.flush();
  });

  it('never delays record() when nothing listens', async () => {
    const closed = new URL(url);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    server = createServer().listen(0);
    const log = audit({ config: { webhook: { url: closed, kinds: ['lockout'], timeout: 5, retries: 1 } }, webhookBackoffMs: 5 });
    await log.record({ kind: 'lockout', result: 'info', subject: 'bob' });
    // Returned before the first attempt could even fail: a refused connection takes a turn of
    // the event loop, which record() did not wait for.
    expect(lines.filter((l) => l.msg === 'audit webhook unreachable')).toHaveLength(0);
    await log.flush();
    expect(lines.filter((l) => l.msg === 'audit webhook unreachable')).toHaveLength(2);
  });
});
