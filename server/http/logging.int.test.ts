import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { cookieFrom } from '../testing/http-client.js';
import { APP, PORTAL, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

const lines: string[] = [];
let h: GatewayHarness;
beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  h = await startGatewayHarness({ logger: createLogger({ level: 'debug', destination: stream }) });
});
afterAll(() => h?.close());

describe('logs', () => {
  it('are JSON lines that carry the request id of sign-in events', async () => {
    const res = await h.postSignIn({ username: 'alice', password: 'not-her-password' });
    const requestId = res.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setImmediate(r));
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const failure = events.find((e) => e.event === 'sign_in.failure' && e.requestId === requestId);
    expect(failure).toMatchObject({ level: 'info', username: 'alice', reason: 'wrong-password' });
  });

  it('never contain a password, a session token or a CSRF token', async () => {
    const secret = 'alice-correct-horse';
    const res = await h.postSignIn({ username: 'alice', password: secret });
    const token = cookieFrom(res, 'gatehouse_session')!;
    await h.postSignIn({ username: 'mallory', password: 'mallory-secret-guess' });
    await h.request({ path: '/x', host: APP, headers: { cookie: `gatehouse_session=${token}`, authorization: 'Basic c2VjcmV0' } });
    const form = await h.signInForm();
    await new Promise((r) => setImmediate(r));
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const needle of [secret, 'mallory-secret-guess', token, form.csrfCookie, 'c2VjcmV0']) expect(all).not.toContain(needle);
  });

  it('an error page quotes the id the log line carries', async () => {
    const res = await h.request({ path: '/nowhere', host: PORTAL });
    expect(res.status).toBe(404);
    expect(res.body).toContain(res.headers['x-request-id']);
  });
});
