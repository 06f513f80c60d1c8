import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayHarness, USERS, writeUsersFile, type GatewayHarness } from '../../testing/gateway-harness.js';
import { addConsoleUsers, CONSOLE_USERS, consoleRequest, MINUTE, sessionFor, type Caller } from './testing/console-harness.js';

/**
 * The users list through the whole gateway: search in name, display name and email with text
 * that means something in SQL or HTML (`%`, `_`, quotes) and of any length, the filters, and
 * paging on the server.
 */
let h: GatewayHarness;
let alice: Caller;
beforeAll(async () => {
  h = await startGatewayHarness();
  await addConsoleUsers(h);
  alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
});
afterAll(() => h?.close());

/** The usernames the list shows, in order. */
const listed = (body: string) => [...body.matchAll(/<span class="meta console-username">([^<]*)<\/span>/g)].map((m) => m[1]);
const list = (query: string) => consoleRequest(h, 'GET', `/users${query ? `?${query}` : ''}`, alice);
const search = (q: string) => list(new URLSearchParams({ q }).toString());

describe('search', () => {
  it.each([
    ['a name', 'erin', ['erin']],
    ['part of a name, ignoring case', 'AL', ['alice']],
    ['a display name in Chinese', '吳怡君', ['erin']],
    ['part of an email', 'bob@corp', ['bob']],
    ['`%` as a character, not a wildcard', '%', ['frank']],
    ['`_` as a character, not a wildcard', '_', ['frank']],
    ['`%_` together', '%_', ['frank']],
    ['a double quote', '"quoted"', ['frank']],
    ['a single quote (nobody has one)', "o'brien", []],
    ['SQL-looking text', "' OR 1=1 --", []],
    ['markup', '<script>alert(1)</script>', []],
    ['nothing: everyone', '', ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']],
    ['spaces only: everyone', '   ', ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']],
  ])('%s (%j)', async (_name, q, expected) => {
    const res = await search(q);
    expect(res.status).toBe(200);
    expect(listed(res.body)).toEqual(expected);
    if (expected.length === 0) expect(res.body).toContain('No users match.');
  });

  it('writes what was searched back into the field escaped, and the users escaped', async () => {
    const res = await search('"><img src=x>');
    expect(res.body).not.toContain('<img src=x>');
    expect(res.body).toContain('value="&quot;&gt;&lt;img src&#61;x&gt;"');
    const frank = await search('frank');
    expect(frank.body).toContain('Frank 100%_off &quot;quoted&quot;');
  });

  it.each([
    ['101 characters', 'a'.repeat(101)],
    ['10,000 characters', 'x'.repeat(10_000)],
    ['10,000 characters of `_`', '_'.repeat(10_000)],
    ['1,000 quotes', '"'.repeat(500) + "'".repeat(500)],
  ])('refuses a search of %s with a clear message (400), and lists nobody', async (_name, q) => {
    const res = await search(q);
    expect(res.status).toBe(400);
    expect(res.body).toContain('The search can be at most 100 characters.');
    expect(res.body).toContain('aria-invalid="true"');
    expect(listed(res.body)).toEqual([]);
  });

  it('a query string beyond what the HTTP server reads (10,000 `%`, 30 kB encoded) is refused before the console, without an error', async () => {
    const res = await search('%'.repeat(10_000));
    expect([400, 414, 431]).toContain(res.status);
    expect((await search('erin')).status).toBe(200);
  });

  it('takes exactly 100 characters', async () => {
    const res = await search('a'.repeat(100));
    expect(res.status).toBe(200);
    expect(res.body).toContain('No users match.');
  });

  it('a repeated parameter is not a search (the first form field only)', async () => {
    const res = await list('q=erin&q=bob');
    expect(res.status).toBe(200);
  });
});

describe('filters', () => {
  it('locked: only users the regulator has locked', async () => {
    await h.gateway.ctx.regulator.lock('erin', { reason: 'failures', actor: 'system' });
    expect(listed((await list('locked=1')).body)).toEqual(['erin']);
    await h.gateway.ctx.regulator.unlock('erin', { actor: 'test' });
    expect(listed((await list('locked=1')).body)).toEqual([]);
  });

  it('disabled: in the users file (carol) or in Gatehouse (frank)', async () => {
    await h.gateway.ctx.storage.accountStates.disable('frank', { actor: 'alice', reason: null, now: Date.now() });
    expect(listed((await list('disabled=1')).body)).toEqual(['carol', 'frank']);
    await h.gateway.ctx.storage.accountStates.enable('frank');
  });

  it('no second factor: users with an app are left out; with the search too', async () => {
    await h.gateway.ctx.storage.otpDevices.create(
      { username: 'bob', kind: 'totp', name: 'Phone', secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
    expect(listed((await list('no_factor=1')).body)).toEqual(['alice', 'carol', 'dave', 'erin', 'frank']);
    expect(listed((await list('no_factor=1&q=b')).body)).toEqual([]);
  });

  it('not signed in for N days: a sign-in within them leaves the user out', async () => {
    const now = Date.now();
    await h.gateway.ctx.storage.auditEvents.append({ at: now - 2 * 86_400_000, kind: 'sign_in.success', result: 'success', actor: 'dave', subject: 'dave' });
    expect(listed((await list('inactive=3')).body)).not.toContain('dave');
    expect(listed((await list('inactive=1')).body)).toContain('dave');
  });

  it.each(['0', '-1', '3651', 'abc', '1e3', '99999'])('refuses %j days with a clear message (400)', async (days) => {
    const res = await list(`inactive=${encodeURIComponent(days)}`);
    expect(res.status).toBe(400);
    expect(res.body).toContain('must be a whole number of days from 1 to 3650');
  });
});

describe('paging', () => {
  it('25 a page, counted on the server, links keeping the search and filters', async () => {
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`user${String(i).padStart(2, '0')}`, { ...USERS.bob, displayname: `User ${i}`, email: `user${i}@corp.example` }]),
    );
    await writeUsersFile(h.usersFile, { ...CONSOLE_USERS, ...many });
    for (let i = 0; i < 400 && !h.gateway.ctx.directory.findUser('user39'); i++) await new Promise((r) => setTimeout(r, 25));
    // The rewritten file has new password hashes: the reload ended every session.
    alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
    const first = await list('q=user');
    expect(listed(first.body)).toHaveLength(25);
    expect(first.body).toContain('Showing 1–25 of 40');
    expect(first.body).toContain('href="/console/users?q&#61;user&amp;page&#61;2"');
    const second = await list('q=user&page=2');
    expect(listed(second.body)).toEqual(Array.from({ length: 15 }, (_, i) => `user${i + 25}`));
    expect(second.body).toContain('Showing 26–40 of 40');
    expect(second.body).toContain('rel="prev"');
    expect(second.body).not.toContain('rel="next"');
    for (const page of ['0', '-2', 'x', '9999999']) expect((await list(`q=user&page=${page}`)).status).toBe(200);
  });
});
