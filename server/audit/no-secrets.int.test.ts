import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { issueEnrollmentCode } from '../enrollment/enrollment-codes.js';
import { decodeBase32 } from '../factors/otp/base32.js';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { cookieFrom, csrfFieldOf, type TestResponse } from '../testing/http-client.js';
import { APP, browser, startGatewayHarness, USERS, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * One user's whole life of secrets — passwords right and wrong, an enrollment code, a TOTP
 * seed and its codes, recovery codes, session cookies and CSRF tokens — goes through the
 * gateway with the log at debug level; none of them may appear in a log line or an audit event.
 */
const lines: string[] = [];
let h: GatewayHarness;
beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  h = await startGatewayHarness({ logger: createLogger({ level: 'trace', destination: stream }) });
});
afterAll(() => h?.close());

const secrets = new Set<string>();
const keep = (value: string | undefined) => {
  if (value && value.length >= 6) secrets.add(value);
  return value;
};

/** Every answer's session cookie and CSRF token is a secret too. */
const collect = (res: TestResponse) => {
  keep(cookieFrom(res, 'gatehouse_session'));
  keep(csrfFieldOf(res.body));
};

const signIn = async (username: string) => {
  const cookie = await h.signIn(username);
  keep(cookie.split('=')[1]);
  return browser(h, cookie, collect);
};

describe('no secret in any log line or audit event', () => {
  it('through sign-in, enrollment, TOTP, recovery codes and sign-out', async () => {
    keep(USERS.alice.password);
    const wrong = keep('alice-wrong-password-5521')!;
    expect((await h.postSignIn({ username: 'alice', password: wrong })).status).toBe(401);
    expect((await h.postSignIn({ username: keep('alice-password-in-the-name-field')!, password: 'x' })).status).toBe(401);

    const alice = await signIn('alice');
    const { code } = await issueEnrollmentCode(h.gateway.ctx.storage, { username: 'alice', method: 'admin', ttlSeconds: 3600, issuedBy: 'test', now: Date.now() });
    keep(code);
    keep(code.replace(/-/g, ''));
    const methods = await alice.get('/methods');
    expect((await alice.post('/enroll/code', { csrf: csrfFieldOf(methods.body)!, code: 'ZZZZZ-ZZZZZ' })).status).toBe(400);
    expect((await alice.post('/enroll/code', { csrf: csrfFieldOf(methods.body)!, code })).status).toBe(303);

    const start = await alice.post('/methods/totp/start', { csrf: csrfFieldOf((await alice.get('/methods')).body)!, name: 'Phone' });
    const groups =
      /<code[^>]*id="totp-secret"[^>]*>(.*?)<\/code>/s
        .exec(start.body)?.[1]
        ?.replace(/<[^>]+>/g, '')
        .replace(/\s/g, '') ?? '';
    const seed = decodeBase32(groups)!;
    for (const form of [groups, seed.toString('hex'), seed.toString('base64'), seed.toString('base64url')]) keep(form);
    const device = /name="device" value="([^"]+)"/.exec(start.body)![1]!;
    const totp = (offsetMs = 0) => keep(generateTotp(seed, Date.now() + offsetMs, { period: 30, digits: 6, algorithm: 'SHA1' }))!;
    const done = await alice.post('/methods/totp/confirm', { csrf: csrfFieldOf(start.body)!, device, code: totp() });
    expect(done.status).toBe(200);
    const recovery = [...done.body.matchAll(/[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/g)].map((m) => m[0]);
    expect(recovery).toHaveLength(10);
    for (const r of recovery) {
      keep(r);
      keep(r.replace(/-/g, ''));
    }

    // A new sign-in: a wrong code, the replayed enrollment code, the next step's code, a recovery code.
    const again = await signIn('alice');
    const page = await again.get('/second-factor');
    expect((await again.post('/second-factor', { csrf: csrfFieldOf(page.body)!, device, code: '000000' })).status).toBe(401);
    expect((await again.post('/second-factor', { csrf: csrfFieldOf(page.body)!, device, code: totp() })).status).toBe(401);
    expect((await again.post('/second-factor', { csrf: csrfFieldOf(page.body)!, device, code: totp(30_000) })).status).toBe(303);
    const third = await signIn('alice');
    const page3 = await third.get('/second-factor');
    expect((await third.post('/second-factor', { csrf: csrfFieldOf(page3.body)!, device: 'recovery', code: recovery[0]! })).status).toBe(303);
    expect((await third.get('/secure/x', APP)).status).toBe(200);
    const out = await third.get('/logout');
    expect((await third.post('/logout', { csrf: csrfFieldOf(out.body)!, scope: 'everywhere' })).status).toBe(303);

    await h.gateway.ctx.audit.flush();
    await new Promise((r) => setImmediate(r));
    const events = JSON.stringify(await h.gateway.ctx.storage.auditEvents.query({ limit: 10_000 }));
    const log = lines.join('\n');
    expect(events).toContain('second_factor.success');
    expect(log).toContain('sign_in.failure');
    const leaked = [...secrets].filter((s) => events.includes(s) || log.includes(s));
    expect(leaked).toEqual([]);
    expect(secrets.size).toBeGreaterThan(30);
  });
});
