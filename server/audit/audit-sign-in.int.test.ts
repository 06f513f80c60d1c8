import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { APP, PORTAL, startGatewayHarness, USERS, WIKI, type GatewayHarness } from '../testing/gateway-harness.js';

const lines: string[] = [];
let h: GatewayHarness;
beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  h = await startGatewayHarness({ logger: createLogger({ level: 'debug', destination: stream }) });
});
afterAll(() => h?.close());

async function signIn(username: string, password: string, userAgent: string, rd?: string) {
  const { csrfCookie, csrfToken } = await h.signInForm();
  return h.request({
    method: 'POST',
    path: '/login',
    host: PORTAL,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `gatehouse_csrf=${csrfCookie}`, origin: `http://${PORTAL}`, 'user-agent': userAgent },
    body: new URLSearchParams({ csrf: csrfToken, username, password, ...(rd ? { rd } : {}) }).toString(),
  });
}

describe('sign-in through the gateway leaves its audit event', () => {
  it.each([
    [`http://${APP}/docs/page`, 'docs'],
    [`http://${APP}/other`, 'app'],
    [`http://${WIKI}/`, 'wiki'],
    [undefined, null],
  ])('names the site the sign-in was for (%s → %s)', async (rd, site) => {
    const before = (await h.gateway.ctx.storage.auditEvents.query({ limit: 1 }))[0]?.id ?? 0;
    expect((await signIn('bob', 'not-bobs', 'AuditTest/site', rd)).status).toBe(401);
    const [event] = await h.gateway.ctx.storage.auditEvents.after(before, 10);
    expect(event).toMatchObject({ kind: 'sign_in.failure', subject: 'bob', site });
  });

  it('one failure and one success, with client address and user agent, and no password anywhere', async () => {
    const wrong = 'not-alice-password-7731';
    const right = USERS.alice.password;
    const storage = h.gateway.ctx.storage;
    const before = (await storage.auditEvents.query({ limit: 1 }))[0]?.id ?? 0;

    expect((await signIn('alice', wrong, 'AuditTest/1 (failure)')).status).toBe(401);
    expect((await signIn('alice', right, 'AuditTest/1 (success)')).status).toBe(303);

    const events = await storage.auditEvents.after(before, 100);
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'sign_in.failure',
        result: 'failure',
        subject: 'alice',
        actor: 'alice',
        clientIp: '127.0.0.1',
        userAgent: 'AuditTest/1 (failure)',
        reason: 'wrong-password',
        details: expect.objectContaining({ factor: 'password' }),
      }),
      expect.objectContaining({
        kind: 'sign_in.success',
        result: 'success',
        subject: 'alice',
        clientIp: '127.0.0.1',
        userAgent: 'AuditTest/1 (success)',
        reason: null,
      }),
    ]);
    const table = JSON.stringify(await storage.auditEvents.query({ limit: 10_000 }));
    await new Promise((r) => setImmediate(r));
    for (const secret of [wrong, right]) {
      expect(table).not.toContain(secret);
      expect(lines.join('\n')).not.toContain(secret);
    }
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ event: 'sign_in.failure', username: 'alice', ip: '127.0.0.1', userAgent: 'AuditTest/1 (failure)' }),
    );
  });
});
