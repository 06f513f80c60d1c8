import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import { csrfFieldOf } from '../../testing/http-client.js';
import { PORTAL } from '../../testing/gateway-harness.js';
import { addConsoleUsers, consoleRequest, MINUTE, sessionFor, type Caller } from './testing/console-harness.js';

/** The overview through the whole gateway: the console's start page, its counts and charts, and where each links. */
let h: GatewayHarness;
let alice: Caller;
const HOUR = 3_600_000;

beforeAll(async () => {
  h = await startGatewayHarness();
  await addConsoleUsers(h);
  alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
  const now = Date.now();
  const append = (at: number, kind: string, result: 'success' | 'failure' | 'info', subject: string) =>
    h.gateway.ctx.storage.auditEvents.append({ at, kind, result, subject, actor: subject, clientIp: '192.0.2.5' });
  for (let i = 0; i < 3; i++) await append(now - 2 * HOUR, 'sign_in.success', 'success', 'erin');
  for (let i = 0; i < 2; i++) await append(now - 2 * HOUR, 'sign_in.failure', 'failure', 'erin');
  await append(now - 5 * 24 * HOUR, 'second_factor.failure', 'failure', 'bob');
  await append(now - 40 * 24 * HOUR, 'sign_in.success', 'success', 'bob');
  await append(now - HOUR, 'push.not_me', 'info', 'frank');
  await append(now - HOUR, 'webauthn.clone_warning', 'failure', 'erin');
  await append(now - HOUR, 'regulation.banned', 'failure', 'bob');
  await h.gateway.ctx.regulator.lock('erin', { reason: 'admin', actor: 'alice' });
});
afterAll(() => h?.close());

describe('overview', () => {
  it('is the console start page', async () => {
    const res = await consoleRequest(h, 'GET', '/', alice);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console/overview');
  });

  it('charts sign-ins and failures per hour (24) and per day (30) as accessible SVG with a table', async () => {
    const res = await consoleRequest(h, 'GET', '/overview', alice);
    expect(res.status).toBe(200);
    const svgs = [...res.body.matchAll(/<svg [^>]*role="img" aria-labelledby="([^"]+)"/g)];
    expect(svgs).toHaveLength(2);
    expect(res.body).toContain('<desc id="chart-hours-desc">Bar chart: 3 sign-ins and 2 failed attempts in this period; the highest bar is 3.</desc>');
    // The day chart has the 40-day-old sign-in outside it, the 5-day-old second factor failure in it.
    expect(res.body).toContain('<desc id="chart-days-desc">Bar chart: 3 sign-ins and 3 failed attempts in this period; the highest bar is 3.</desc>');
    expect(res.body.match(/class="bar-in"/g)).toHaveLength(54);
    const tables = [...res.body.matchAll(/<tbody>(.*?)<\/tbody>/gs)].map((m) => (m[1]!.match(/<tr>/g) ?? []).length);
    expect(tables).toEqual([24, 30]);
  });

  it('counts and links what needs attention', async () => {
    const res = await consoleRequest(h, 'GET', '/overview', alice);
    expect(res.body).toContain('href="/console/users?locked&#61;1"');
    expect(res.body).toContain('<li><a href="/console/users/erin">erin</a></li>');
    expect(res.body).toContain('href="/console/audit?kind&#61;push.not_me"');
    expect(res.body).toContain('href="/console/audit?kind&#61;webauthn.clone_warning"');
    expect(res.body).toContain('href="/console/audit?kind&#61;regulation.banned"><span class="console-stat-number">1</span>');
    expect(res.body).toContain('<a href="/console/users/frank">frank</a>');
  });

  it('shows the live sessions: up on sign-in, down on sign-out and on revocation (a number, no link)', async () => {
    const shown = async () => {
      const { body } = await consoleRequest(h, 'GET', '/overview', alice);
      const match = /<p class="card console-stat" id="stat-sessions"><span class="console-stat-number">(\d+)<\/span> active sessions<\/p>/.exec(body);
      expect(match, 'the sessions card').not.toBeNull();
      return Number(match![1]);
    };
    const before = await shown();
    expect(before).toBe(await h.gateway.ctx.sessions.countLive());
    const bob = await h.signIn('bob');
    const frank = await h.signIn('frank', 'frank-target-pass-1');
    const frankAgain = await h.signIn('frank', 'frank-target-pass-1');
    expect(await shown()).toBe(before + 3);

    const page = await h.request({ path: '/logout', host: PORTAL, headers: { cookie: bob } });
    const out = await h.request({
      method: 'POST',
      path: '/logout',
      host: PORTAL,
      headers: { cookie: bob, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrfFieldOf(page.body)!, scope: 'here' }).toString(),
    });
    expect(out.status).toBe(303);
    expect(await shown()).toBe(before + 2);

    const [first] = await h.gateway.ctx.sessions.listForUser('frank');
    const revoke = await consoleRequest(h, 'POST', '/users/frank/sessions/revoke', alice, { fields: { session: first!.id } });
    expect(revoke.status).toBe(303);
    expect(await shown()).toBe(before + 1);
    await consoleRequest(h, 'POST', '/users/frank/sessions/revoke-all', alice);
    expect(await shown()).toBe(before);
    expect([frank, frankAgain]).toHaveLength(2);
  });

  it('is in Traditional Chinese too', async () => {
    const res = await consoleRequest(h, 'GET', '/overview', alice, { headers: { cookie: `${alice.cookie}; gatehouse_lang=zh-TW` } });
    expect(res.body).toContain('每小時，最近 24 小時（UTC）');
  });
});
