import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { csrfFieldOf } from '../testing/http-client.js';
import { PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/** Mails received by a real SMTP server on loopback. */
const mails: { to: string[]; body: string }[] = [];
let smtp: SMTPServer;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let body = '';
      stream.on('data', (c: Buffer) => (body += c.toString('utf8')));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), body });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (h: GatewayHarness, cookie: string, path: string, fields: Record<string, string>) =>
  h.request({ method: 'POST', path, host: PORTAL, headers: { cookie, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' }, body: form(fields) });

describe('enrollment by a code sent by email', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    const port = (smtp.server.address() as AddressInfo).port;
    h = await startGatewayHarness({
      configure: (c) =>
        Object.assign(c, {
          enrollment: { email_code: { enabled: true, ttl: '1h' } },
          smtp: { host: '127.0.0.1', port, security: 'none', from: 'gatehouse@corp.example', timeout: '2s' },
        }),
    });
  });
  afterAll(() => h?.close());

  it('mails a single-use code to the address on file; the code opens the gate once', async () => {
    const cookie = await h.signIn('bob');
    const gate = await h.request({ path: '/methods', host: PORTAL, headers: { cookie, 'accept-language': 'en' } });
    expect(gate.body).toContain('b*b@corp.example');
    expect(gate.body).not.toContain('bob@corp.example');
    const sent = await post(h, cookie, '/enroll/email', { csrf: csrfFieldOf(gate.body)! });
    expect(sent.status).toBe(200);
    const mail = mails.find((m) => m.to.includes('bob@corp.example'))!;
    expect(mail).toBeDefined();
    const code = /([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(mail.body.replace(/=\r?\n/g, ''))![1]!;
    // Only its hash is stored: the code is in neither the database file nor its write-ahead log.
    const files = ['gatehouse.db', 'gatehouse.db-wal'].map((f) => join(h.dir, f)).filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(readFileSync(file).includes(code.replace('-', ''))).toBe(false);

    const redeemed = await post(h, cookie, '/enroll/code', { csrf: csrfFieldOf(sent.body)!, code });
    expect(redeemed.status).toBe(303);
    const rotated = /gatehouse_session=([^;]+)/.exec((redeemed.headers['set-cookie'] ?? []).join(';'))![1]!;
    const methods = await h.request({ path: '/methods', host: PORTAL, headers: { cookie: `gatehouse_session=${rotated}` } });
    expect(methods.body).toMatch(/methods\/totp\/start/);

    // The same code again, from a fresh session of the same user: expired or used, said plainly.
    const again = await h.signIn('bob');
    const gate2 = await h.request({ path: '/methods', host: PORTAL, headers: { cookie: again } });
    const reused = await post(h, again, '/enroll/code', { csrf: csrfFieldOf(gate2.body)!, code });
    expect(reused.status).toBe(400);
    expect(reused.body).toMatch(/expired or was already used/i);
  });

  it('limits how many codes one user can have mailed', async () => {
    const cookie = await h.signIn('alice');
    let page = await h.request({ path: '/methods', host: PORTAL, headers: { cookie } });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(h, cookie, '/enroll/email', { csrf: csrfFieldOf(page.body)! });
      statuses.push(res.status);
      page = res;
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('enrollment right after the password from a trusted network', () => {
  it('lets a user with no factor enroll from 127.0.0.0/8, and only while they have none', async () => {
    const h = await startGatewayHarness({ configure: (c) => Object.assign(c, { enrollment: { trusted_networks: ['127.0.0.0/8'] } }) });
    try {
      const cookie = await h.signIn('alice');
      const methods = await h.request({ path: '/methods', host: PORTAL, headers: { cookie } });
      expect(methods.body).toMatch(/methods\/totp\/start/);
      // Once a factor exists, the trusted network alone no longer allows changes.
      await h.gateway.ctx.storage.otpDevices.create(
        { username: 'alice', kind: 'totp', name: 'Phone', secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
        Date.now(),
      );
      const fresh = await h.signIn('alice');
      const readOnly = await h.request({ path: '/methods', host: PORTAL, headers: { cookie: fresh } });
      expect(readOnly.body).not.toMatch(/methods\/totp\/start/);
      // The read-only page has no forms; the session's token comes from the home page's sign-out form.
      const home = await h.request({ path: '/', host: PORTAL, headers: { cookie: fresh } });
      const start = await post(h, fresh, '/methods/totp/start', { csrf: csrfFieldOf(home.body)!, name: 'Second phone' });
      expect(start.status).toBe(303);
      expect(start.headers.location).toContain('needs_fresh_factor');
    } finally {
      await h.close();
    }
  });
});
