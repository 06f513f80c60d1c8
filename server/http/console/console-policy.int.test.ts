import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import { addConsoleUsers, consoleRequest, MINUTE, sessionFor, type Caller } from './testing/console-harness.js';

/**
 * The policy page through the whole gateway, on the harness's rules:
 *   0 app /public/.* bypass · 1 app /admin group:admins one_factor · 2 app /admin deny ·
 *   3 app /secure/.* two_factor · 4 app+wiki one_factor · default deny.
 */
let h: GatewayHarness;
let dave: Caller;
beforeAll(async () => {
  h = await startGatewayHarness({ configure: (c) => Object.assign(c, { admin: { auditor_group: 'auditors' } }) });
  await addConsoleUsers(h);
  dave = await sessionFor(h, 'dave', { kind: 'totp', ageMs: MINUTE });
});
afterAll(() => h?.close());

const policy = (query: Record<string, string>) => consoleRequest(h, 'GET', `/policy?${new URLSearchParams(query)}`, dave);
const text = (body: string) =>
  body
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#61;/g, '=')
    .replace(/&#39;/g, "'");

describe('the rules table', () => {
  it('lists the compiled rules in evaluation order, then the default policy', async () => {
    const res = await policy({});
    expect(res.status).toBe(200);
    const rows = [...res.body.matchAll(/<tr><th scope="row">([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(rows).toEqual(['Rule 0', 'Rule 1', 'Rule 2', 'Rule 3', 'Rule 4', 'Default policy']);
    expect(res.body).toContain('group:admins');
    expect(res.body).toContain('<code>/secure/.*</code>');
  });
});

describe('explain', () => {
  it.each([
    ['anonymous on a public path', { url: 'http://app.localhost/public/x' }, 'allow', 'Rule 0', []],
    ['an admin on /admin with the password', { url: 'http://app.localhost/admin', user: 'alice' }, 'allow', 'Rule 1', ['Rule 0']],
    ['a non-admin on /admin (groups from the directory)', { url: 'http://app.localhost/admin/users', user: 'bob' }, 'deny', 'Rule 2', ['Rule 0', 'Rule 1']],
    ['groups typed in win over the directory', { url: 'http://app.localhost/admin', user: 'bob', groups: 'admins' }, 'allow', 'Rule 1', ['Rule 0']],
    ['/secure without a second factor', { url: 'http://app.localhost/secure/a', user: 'bob' }, 'step_up', 'Rule 3', ['Rule 0', 'Rule 1', 'Rule 2']],
    ['/secure with a passkey 30 s ago', { url: 'http://app.localhost/secure/a', user: 'bob', f_webauthn: '1', age: '30' }, 'allow', 'Rule 3', ['Rule 0', 'Rule 1', 'Rule 2']],
    ['a host no rule names', { url: 'http://other.localhost/', user: 'bob' }, 'deny', 'Default policy', ['Rule 0', 'Rule 1', 'Rule 2', 'Rule 3', 'Rule 4']],
  ])('%s', async (_name, query, decision, by, skipped) => {
    const res = await policy(query);
    expect(res.status, res.body.slice(0, 300)).toBe(200);
    expect(text(res.body)).toContain(`Decision: ${decision} — ${by}`);
    const steps = [...res.body.matchAll(/<li><strong>([^<]*)<\/strong> — did not match: (.*?)<\/li>/g)];
    expect(steps.map((m) => m[1])).toEqual(skipped);
    for (const step of steps) expect(step[2]!.length).toBeGreaterThan(5);
  });

  it('says why an earlier rule did not match', async () => {
    const body = text((await policy({ url: 'http://app.localhost/admin', user: 'bob' })).body);
    expect(body).toContain('Rule 0 — did not match: domain app.localhost matched app.localhost; path /admin matched none of [/public/.*]');
    expect(body).toContain('Rule 1 — did not match: domain app.localhost matched app.localhost; path /admin matched /admin(/.*)?');
    expect(body).toContain('is not group:admins');
  });

  it.each([
    ['not a URL', { url: 'wiki' }, 'Enter a whole URL'],
    ['a javascript: URL', { url: 'javascript:alert(1)' }, 'Enter a whole URL'],
    ['a path the gateway refuses', { url: 'http://app.localhost/a/%00/admin' }, 'refuses this path before any rule'],
    ['an address pattern', { url: 'http://app.localhost/', ip: '10.%' }, 'single IPv4 or IPv6 address'],
    ['a negative age', { url: 'http://app.localhost/', age: '-5' }, 'Ages are whole numbers'],
    ['an age in words', { url: 'http://app.localhost/', pw_age: 'old' }, 'Ages are whole numbers'],
    ['a method with spaces', { url: 'http://app.localhost/', method: 'GET /x' }, 'The method is a word'],
    ['a URL of 10,000 characters', { url: `http://app.localhost/${'a'.repeat(10_000)}` }, 'at most 2048 characters'],
    ['a user of 10,000 characters', { url: 'http://app.localhost/', user: 'u'.repeat(10_000) }, 'at most 2048 characters'],
  ])('refuses %s with a clear message (400)', async (_name, query, message) => {
    const res = await policy(query);
    expect(res.status).toBe(400);
    expect(res.body).toContain(message);
    expect(res.body).not.toContain('Decision:');
  });

  it('writes the form back escaped', async () => {
    const res = await policy({ url: 'http://app.localhost/"><img src=x>', user: '"><b>' });
    expect(res.body).not.toContain('<img src=x>');
    expect(res.body).not.toContain('<b>');
  });
});

describe('who can reach this site', () => {
  it('lists the allowing rules in order, down to the one that catches every request', async () => {
    const body = text((await policy({ reach: 'http://app.localhost/admin/x' })).body);
    expect(body).toContain('Rule 1one_factorgroup:admins');
    expect(body).toContain('Rule 2 matches every request to this URL: no later rule is tried.');
    expect(body).not.toContain('Rule 4one_factor');
  });

  it('a path open to everyone signed in', async () => {
    const body = text((await policy({ reach: 'http://wiki.localhost/page' })).body);
    expect(body).toContain('Rule 4one_factoranyone the policy admits');
  });

  it('nobody, where only the default deny applies', async () => {
    const res = await policy({ reach: 'http://nowhere.localhost/' });
    expect(res.body).toContain('No rule lets anyone reach this URL.');
  });

  it('refuses what is not a URL', async () => {
    const res = await policy({ reach: '%' });
    expect(res.status).toBe(400);
    expect(res.body).toContain('Enter a whole URL');
  });
});
