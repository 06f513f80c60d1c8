import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapConfigFor, startLdapFixture } from '../../directory/ldap/testing/ldap-fixture.js';
import { startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import type { TestSlapd } from '../../testing/slapd-server.js';
import { type Caller, consoleRequest, MINUTE, sessionFor } from './testing/console-harness.js';

/**
 * The users list beside an LDAP directory (a real slapd): the users file is listed, the LDAP
 * server is not enumerated but asked for a search that is exactly a user name — and a search
 * that means something in an LDAP filter finds nobody instead of everybody.
 */
let slapd: TestSlapd;
let h: GatewayHarness;
let alice: Caller;
beforeAll(async () => {
  slapd = await startLdapFixture();
  h = await startGatewayHarness({ configure: (c) => void (c.authentication.ldap = ldapConfigFor(slapd, { refresh_interval: '1m', refresh_grace: '1h' })) });
  alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
}, 180_000);
afterAll(async () => {
  await h?.close();
  await slapd?.close();
});

const listed = (body: string) => [...body.matchAll(/<span class="meta console-username">([^<]*)<\/span>/g)].map((m) => m[1]);
const search = (q: string) => consoleRequest(h, 'GET', `/users?${new URLSearchParams({ q })}`, alice);

describe('the users list with LDAP', () => {
  it('lists the users file without a search (LDAP is not enumerated)', async () => {
    expect(listed((await search('')).body)).toEqual(['alice', 'bob', 'carol']);
  });

  it.each([
    ['many', ['many']],
    ['MANY', ['many']],
    ['dave', ['dave']],
  ])('finds the directory user named exactly %j', async (q, expected) => {
    const res = await search(q);
    expect(res.status).toBe(200);
    expect(listed(res.body)).toEqual(expected);
  });

  it.each(['man', '*', 'm*', '(uid=*)', '*)(uid=*', 'many)(|(uid=*)', '\\2a', '%', '_'])('a partial name or filter text (%j) finds no directory user', async (q) => {
    const res = await search(q);
    expect(res.status).toBe(200);
    for (const name of ['many', 'dave', 'erin', 'zoë', 'reset']) expect(listed(res.body)).not.toContain(name);
  });

  it("a directory user's page shows their directory data and groups", async () => {
    const res = await consoleRequest(h, 'GET', '/users/dave', alice);
    expect(res.status).toBe(200);
    expect(res.body).toContain('Dave Wu');
    expect(res.body).toContain('dave@corp.test');
  });
});
