import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskEmail } from '../enrollment/enrollment-email.js';
import { addValue, dnOf, deleteValue, groupDn, LDAP_USERS, ldapConfigFor, ldifEntry, MANY_GROUPS, replace, startLdapFixture } from '../directory/ldap/testing/ldap-fixture.js';
import { APP, PORTAL, startGatewayHarness, USERS, type GatewayHarness, type HarnessConfig } from '../testing/gateway-harness.js';
import { cookieFrom, csrfFieldOf, type TestResponse } from '../testing/http-client.js';
import type { TestSlapd } from '../testing/slapd-server.js';

let slapd: TestSlapd;

/** The harness with LDAP beside its users file, and a /dev area only group dev may enter. */
function withLdap(ldap: Record<string, unknown> = {}, extra: (config: HarnessConfig) => void = () => undefined) {
  return (config: HarnessConfig) => {
    config.authentication.ldap = ldapConfigFor(slapd, { refresh_interval: '1s', refresh_grace: '1h', password_change_url: 'https://password.corp.test/change', ...ldap });
    config.access_control.rules.unshift(
      { domain: APP, resources: ['/dev(/.*)?'], subject: ['group:dev'], policy: 'one_factor' },
      { domain: APP, resources: ['/dev(/.*)?'], policy: 'deny' },
    );
    extra(config);
  };
}

const get = (h: GatewayHarness, cookie: string, path = '/dev/page') => h.request({ path, host: APP, headers: { cookie } });
const echoed = (response: TestResponse) => JSON.parse(response.body).headers as Record<string, string>;
/** The page without what changes from one answer to the next (CSRF value, request id). */
const pageText = (response: TestResponse) => response.body.replace(/value="[A-Za-z0-9_-]{43}"/g, '').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '');

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms (last: ${JSON.stringify(value).slice(0, 300)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  slapd = await startLdapFixture();
}, 180_000);

afterAll(async () => {
  await slapd?.close();
});

describe('signing in with LDAP through the portal', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({ configure: withLdap() });
  });
  afterAll(async () => h?.close());

  it('signs an LDAP user in, and the app sees their directory name, mail and groups', async () => {
    const cookie = await h.signIn('dave', LDAP_USERS.dave.password);
    const response = await get(h, cookie);
    expect(response.status).toBe(200);
    const headers = echoed(response);
    expect(headers['remote-user']).toBe('dave');
    expect(headers['remote-name']).toBe('Dave Wu');
    expect(headers['remote-email']).toBe('dave@corp.test');
    expect(headers['remote-groups']?.split(',').sort()).toEqual(['dev', 'ops']);
    // The mobile number stays in the session for an SMS factor; it never goes upstream.
    expect(JSON.stringify(headers)).not.toContain('900 000 001');
  });

  it('lets the users file win a name: that name never goes to LDAP', async () => {
    await slapd.clearLog();
    // alice is in both; only the file's password counts, and slapd never hears of her.
    expect((await h.postSignIn({ username: 'alice', password: LDAP_USERS.alice.password })).status).toBe(401);
    expect((await h.postSignIn({ username: 'ALICE', password: LDAP_USERS.alice.password })).status).toBe(401);
    const cookie = await h.signIn('alice', USERS.alice.password);
    await slapd.logged();
    expect(slapd.operations().filter((o) => o.dn === dnOf('alice') || /alice/i.test(o.filter ?? ''))).toEqual([]);
    const response = await get(h, cookie, '/admin/');
    expect(response.status).toBe(200);
    expect(echoed(response)['remote-groups']).toBe('admins,dev');
    // carol is disabled in the file: LDAP's carol cannot sign in either.
    expect((await h.postSignIn({ username: 'carol', password: LDAP_USERS.carol.password })).status).toBe(401);
  });

  it('answers an unknown name, a wrong password and a locked account with the same page', async () => {
    const unknown = await h.postSignIn({ username: 'nobody-here', password: 'some-password-1' });
    const wrong = await h.postSignIn({ username: 'dave', password: 'some-password-1' });
    const locked = await h.postSignIn({ username: 'locked', password: LDAP_USERS.locked.password });
    for (const response of [unknown, wrong, locked]) expect(response.status).toBe(401);
    expect(pageText(wrong).replace(/nobody-here|dave|locked/g, 'NAME')).toBe(pageText(unknown).replace(/nobody-here|dave|locked/g, 'NAME'));
    expect(pageText(locked).replace(/nobody-here|dave|locked/g, 'NAME')).toBe(pageText(unknown).replace(/nobody-here|dave|locked/g, 'NAME'));
  });

  const hostile = ['*', '*)(uid=*', 'admin)(|(userPassword=*', '\\', 'dave\\', 'da*', '*)(|(uid=dave', 'dave\u0000', '\u0000', 'x'.repeat(10_000), `${'y'.repeat(200)}*`];
  it.each(hostile.map((name) => [JSON.stringify(name).slice(0, 30), name]))('signs nobody in as %s, with a documented answer', async (_label, username) => {
    await slapd.clearLog();
    const response = await h.postSignIn({ username, password: LDAP_USERS.dave.password });
    // 401 for a name that could be tried; 400 for one the form refuses (longer than 128 characters).
    expect(username.length > 128 ? 400 : 401).toBe(response.status);
    expect(cookieFrom(response, 'gatehouse_session')).toBeUndefined();
    await slapd.logged();
    expect(slapd.binds().filter((b) => b.dn?.startsWith('uid='))).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['one space', ' '],
    ['white space', ' \t '],
  ])('signs nobody in with an %s password, and makes no bind as the user', async (_label, password) => {
    await slapd.clearLog();
    const response = await h.postSignIn({ username: 'dave', password });
    expect([400, 401]).toContain(response.status);
    expect(cookieFrom(response, 'gatehouse_session')).toBeUndefined();
    await slapd.logged();
    expect(slapd.binds(dnOf('dave'))).toEqual([]);
  });

  it('signs a non-ASCII name in whether typed composed (NFC) or decomposed (NFD)', async () => {
    for (const username of [LDAP_USERS.zoe.uid.normalize('NFC'), LDAP_USERS.zoe.uid.normalize('NFD')]) {
      const cookie = await h.signIn(username, LDAP_USERS.zoe.password);
      expect(echoed(await get(h, cookie))['remote-user']).toBe(Buffer.from('zoë', 'utf8').toString('latin1'));
    }
    expect((await h.postSignIn({ username: 'zoë', password: LDAP_USERS.zoe.password.normalize('NFD') })).status).toBe(401);
  });

  it('refuses a name two entries answer to', async () => {
    expect((await h.postSignIn({ username: 'twin', password: 'twin-secret' })).status).toBe(401);
  });

  it('tells a user who must change their password what to do, only when the password was right', async () => {
    const right = await h.postSignIn({ username: 'reset', password: LDAP_USERS.reset.password });
    expect(right.status).toBe(403);
    expect(right.body).toContain('You must change your password before you can sign in');
    expect(right.body).toContain('href="https://password.corp.test/change"');
    expect(cookieFrom(right, 'gatehouse_session')).toBeUndefined();
    const wrong = await h.postSignIn({ username: 'reset', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain('change your password');
    const zh = await h.request({ method: 'GET', path: '/', host: PORTAL, headers: { 'accept-language': 'zh-TW' } });
    expect(zh.status).toBe(200);
  });
});

describe('groups through the portal', () => {
  let bySearch: GatewayHarness;
  beforeAll(async () => {
    // frank is in cyc-b, which holds cyc-a, which holds cyc-b; and in dev, held by eng, held by all-staff.
    await slapd.addLdif(ldifEntry(dnOf('frank'), { objectClass: 'inetOrgPerson', uid: 'frank', cn: 'Frank', sn: 'Frank', userPassword: 'frank-ldap-secret' }));
    await slapd.modify(groupDn('cyc-b'), addValue('member', dnOf('frank')));
    await slapd.modify(groupDn('dev'), addValue('member', dnOf('frank')));
    bySearch = await startGatewayHarness({ configure: withLdap({ groups: { lookup: 'search', nested: true } }) });
  });
  afterAll(async () => bySearch?.close());

  const groupsOf = async (h: GatewayHarness, username: string, password: string) => {
    const response = await get(h, await h.signIn(username, password), '/');
    expect(response.status).toBe(200);
    return echoed(response)['remote-groups']!.split(',');
  };

  it('resolves nested groups and a cycle found by group search', async () => {
    expect(await groupsOf(bySearch, 'frank', 'frank-ldap-secret')).toEqual(['all-staff', 'cyc-a', 'cyc-b', 'dev', 'eng']);
  });

  it(`carries a user's ${MANY_GROUPS} groups to the app, by memberOf and by a paged search`, async () => {
    const byMemberOf = await startGatewayHarness({ configure: withLdap() });
    try {
      const groups = await groupsOf(byMemberOf, 'many', LDAP_USERS.many.password);
      expect(groups).toHaveLength(MANY_GROUPS);
      expect(await groupsOf(bySearch, 'many', LDAP_USERS.many.password)).toEqual(groups);
    } finally {
      await byMemberOf.close();
    }
  });
});

describe('when the directory is down', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({ configure: withLdap({ refresh_grace: '2s', connect_timeout: '300ms', timeout: '500ms' }) });
  });
  afterAll(async () => {
    slapd.thaw();
    await h?.close();
  });

  it('answers sign-ins with a clear 503 page, keeps sessions until refresh_grace, then fails closed, and recovers', async () => {
    const cookie = await h.signIn('dave', LDAP_USERS.dave.password);
    expect((await get(h, cookie)).status).toBe(200);
    slapd.freeze();
    try {
      const refused = await h.postSignIn({ username: 'dave', password: LDAP_USERS.dave.password });
      expect(refused.status).toBe(503);
      expect(refused.body).toContain('the company directory cannot be reached');
      // The file's break-glass accounts still sign in.
      await h.signIn('alice', USERS.alice.password);
      // The hot path does not wait on LDAP: the session still works, for now.
      expect((await get(h, cookie)).status).toBe(200);
      // Once refreshing has failed for longer than refresh_grace, the session stops working.
      const after = await until(
        () => get(h, cookie),
        (r) => r.status !== 200,
        'failing closed',
      );
      expect(after.status).toBe(302);
    } finally {
      slapd.thaw();
    }
    // Back: the next refresh confirms dave again, and the session works again.
    expect(
      (
        await until(
          () => get(h, cookie),
          (r) => r.status === 200,
          'recovery',
        )
      ).status,
    ).toBe(200);
  });
});

describe('refresh and revocation on every instance', () => {
  let a: GatewayHarness;
  let b: GatewayHarness;
  beforeAll(async () => {
    a = await startGatewayHarness({ configure: withLdap() });
    b = await startGatewayHarness({ configure: withLdap(), redis: a.redis });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('knows on instance B a user who signed in on A', async () => {
    const cookie = await a.signIn('erin', LDAP_USERS.erin.password);
    const response = await get(b, cookie, '/');
    expect(response.status).toBe(200);
    expect(echoed(response)['remote-groups']).toBe('ops');
  });

  it("ends access to a group's site on both instances within the refresh interval once the user leaves the group", async () => {
    const cookie = await a.signIn('dave', LDAP_USERS.dave.password);
    expect((await get(a, cookie)).status).toBe(200);
    expect((await get(b, cookie)).status).toBe(200);
    await slapd.modify(groupDn('dev'), deleteValue('member', dnOf('dave')));
    try {
      for (const h of [a, b])
        await until(
          () => get(h, cookie),
          (r) => r.status === 403,
          'losing access',
        );
      // Still signed in: the rest of the app still works, with the new groups.
      const rest = await get(b, cookie, '/');
      expect(rest.status).toBe(200);
      expect(echoed(rest)['remote-groups']).toBe('ops');
    } finally {
      await slapd.modify(groupDn('dev'), addValue('member', dnOf('dave')));
    }
  });

  it('ends every session of a user removed from the directory, on both instances', async () => {
    const cookie = await a.signIn('erin', LDAP_USERS.erin.password);
    expect((await get(b, cookie, '/')).status).toBe(200);
    await slapd.remove(dnOf('erin'));
    for (const h of [a, b])
      await until(
        () => get(h, cookie, '/'),
        (r) => r.status === 302,
        'signing out',
      );
    expect((await a.postSignIn({ username: 'erin', password: LDAP_USERS.erin.password })).status).toBe(401);
  });
});

describe('regulation before the bind', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({
      // A name or a mail address signs in: two spellings of one account.
      configure: withLdap({ users: { filter: '(&(objectClass=inetOrgPerson)(|(uid={username})(mail={username})))' } }, (config) => {
        config.regulation = {
          account: { max_retries: 3, find_time: '10m', ban_time: '15m' },
          address: { max_retries: 1000, find_time: '10m', ban_time: '15m' },
          lockout: { max_failures: 5, find_time: '24h', duration: '1h' },
        };
      }),
    });
  });
  afterAll(async () => h?.close());

  it('stops binding as the user once regulation refuses, whatever spelling of the account is typed', async () => {
    await slapd.clearLog();
    const attempts = [
      // Three failures, each under another spelling the directory resolves to dave.
      ['dave@corp.test', 'guess-1'],
      ['ＤＡＶＥ', 'guess-2'],
      ['Dave', 'guess-3'],
      // Refused from here on: no bind reaches the server, not even for the right password.
      ['dave', 'guess-4'],
      ['dave@corp.test', 'guess-5'],
      ['ｄave', 'guess-6'],
      ['DAVE@CORP.TEST', LDAP_USERS.dave.password],
      ['dave', LDAP_USERS.dave.password],
    ];
    const statuses: number[] = [];
    for (const [username, password] of attempts) statuses.push((await h.postSignIn({ username: username!, password: password! })).status);
    expect(statuses).toEqual(attempts.map(() => 401));
    await slapd.logged();
    expect(slapd.binds(dnOf('dave'))).toHaveLength(3);
  });
});

describe("the directory's mail address", () => {
  const mails: Array<{ to: string[]; body: string }> = [];
  let smtp: SMTPServer;
  let h: GatewayHarness;
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
    const port = (smtp.server.address() as AddressInfo).port;
    h = await startGatewayHarness({
      configure: withLdap({}, (c) =>
        Object.assign(c, {
          enrollment: { email_code: { enabled: true, ttl: '1h' } },
          smtp: { host: '127.0.0.1', port, security: 'none', from: 'gatehouse@corp.example', timeout: '2s' },
        }),
      ),
    });
  });
  afterAll(async () => {
    await h?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await slapd.modify(dnOf('zoë'), replace('mail', LDAP_USERS.zoe.mail));
  });

  it('receives the enrollment code, and a change in the directory reaches it within the refresh interval', async () => {
    const cookie = await h.signIn('zoë', LDAP_USERS.zoe.password);
    const methods = () => h.request({ path: '/methods', host: PORTAL, headers: { cookie, 'accept-language': 'en' } });
    const gate = await methods();
    expect(gate.body).toContain(maskEmail('zoe@corp.test')!);
    const sent = await h.request({
      method: 'POST',
      path: '/enroll/email',
      host: PORTAL,
      headers: { cookie, origin: `http://${PORTAL}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrfFieldOf(gate.body)! }).toString(),
    });
    expect(sent.status).toBe(200);
    expect(mails.map((m) => m.to)).toContainEqual(['zoe@corp.test']);
    await slapd.modify(dnOf('zoë'), replace('mail', 'zoe.angstrom@corp.test'));
    await until(methods, (r) => r.body.includes(maskEmail('zoe.angstrom@corp.test')!), 'the new address');
  });
});
