import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapSchema } from '../../config/ldap-schema.js';
import { DirectoryUnavailableError } from '../../core/errors.js';
import { createSilentLogger } from '../../core/logger.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import { APP, startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import { AD_BASE_DN, AD_SERVER_NAME, sambaMissing, startSambaAd, type TestSambaAd } from '../../testing/samba-ad-server.js';
import { toFiletime } from './account-state.js';
import { diagnoseDirectory } from './diagnose-directory.js';
import { createLdapDirectory, type LdapDirectory } from './ldap-directory.js';
import { resolveLdapSettings } from './ldap-settings.js';

/**
 * The Active Directory preset against a real Samba AD domain controller (started by the test,
 * see testing/samba-ad-server.ts): sAMAccountName and userPrincipalName, nested groups through
 * the in-chain matching rule 1.2.840.113556.1.4.1941 (which slapd cannot evaluate), and the
 * states a domain controller reports on a bind (data 533, 701, 773, 775) as it really does.
 */

const missing = sambaMissing();

const people = {
  jsmith: {
    sam: 'JSmith',
    cn: 'John Smith',
    password: 'John-AD-secret-1',
    displayName: 'John Smith',
    mail: 'john.smith@corp.test',
    mobile: '+886 912 000 111',
    upn: 'jsmith@corp.test',
  },
  disabled: { sam: 'disabled', cn: 'Dis Abled', password: 'Disabled-secret-1' },
  expired: { sam: 'expired', cn: 'Ex Pired', password: 'Expired-secret-1' },
  mustchange: { sam: 'mustchange', cn: 'Must Change', password: 'Change-secret-1' },
  locked: { sam: 'locked', cn: 'Lock Ed', password: 'Locked-secret-1' },
  mover: { sam: 'mover', cn: 'Mo Ver', password: 'Mover-secret-1' },
  zoe: { sam: 'zoë', cn: 'Zoë Ångström', password: 'Pässwörd-東京-1', displayName: 'Zoë Ångström', upn: 'zoe@corp.test' },
} as const;
type Name = keyof typeof people;

let ad: TestSambaAd;
const dns = {} as Record<Name, string>;
const groups = {} as Record<'sales' | 'vpn' | 'cycA' | 'cycB' | 'wiki', string>;
const open: LdapDirectory[] = [];

function adConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    implementation: 'activedirectory',
    url: ad.url,
    tls: { ca_file: ad.certificates.caFile, server_name: AD_SERVER_NAME },
    bind_dn: ad.serviceDn,
    password: ad.servicePassword,
    base_dn: AD_BASE_DN,
    connect_timeout: '5s',
    timeout: '10s',
    ...overrides,
  };
}

function directory(overrides: Record<string, unknown> = {}): LdapDirectory {
  const settings = resolveLdapSettings(ldapSchema.parse(adConfig(overrides)));
  const created = createLdapDirectory(
    { logger: createSilentLogger(), kv: createMemoryKv({ clock: { now: Date.now } }), now: Date.now },
    { settings, mirrorTtlMs: 10_000, recordTtlSeconds: 3600, refresh: false },
  );
  open.push(created);
  return created;
}

describe.skipIf(missing !== undefined)(`the Active Directory preset against Samba AD${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    ad = await startSambaAd();
    for (const [name, person] of Object.entries(people) as Array<[Name, (typeof people)[Name]]>) dns[name] = await ad.addUser(person);
    // Sales holds John; VPN Users holds Sales; Cyc A and Cyc B hold each other, and Cyc A holds John.
    groups.sales = await ad.addGroup('Sales, EMEA', [dns.jsmith]);
    groups.vpn = await ad.addGroup('VPN Users', [groups.sales]);
    groups.cycA = await ad.addGroup('Cyc A', [dns.jsmith]);
    groups.cycB = await ad.addGroup('Cyc B', [groups.cycA]);
    await ad.addMember(groups.cycA, groups.cycB);
    groups.wiki = await ad.addGroup('Wiki Editors', [dns.mover]);
    await ad.set(dns.disabled, { userAccountControl: '514' });
    await ad.set(dns.expired, { accountExpires: toFiletime(Date.now() - 86_400_000) });
    await ad.set(dns.mustchange, { pwdLastSet: '0' });
    await ad.lockOut(`locked@corp.test`);
  }, 300_000);

  afterAll(async () => {
    for (const d of open) d.close();
    await ad?.close();
  }, 60_000);

  it('signs in by sAMAccountName in any case, or by userPrincipalName, as one lower-case user with nested groups', async () => {
    const d = directory();
    const expected = {
      ok: true,
      user: {
        username: 'jsmith',
        displayName: 'John Smith',
        email: 'john.smith@corp.test',
        mobile: '+886 912 000 111',
        groups: ['Cyc A', 'Cyc B', 'Sales, EMEA', 'VPN Users'],
        source: 'ldap',
      },
    };
    for (const typed of ['JSmith', 'jsmith', 'JSMITH', 'jsmith@corp.test', 'JSmith@CORP.TEST'])
      expect(await d.verifyPassword(typed, people.jsmith.password), typed).toEqual(expected);
  });

  it('signs in over LDAPS as over StartTLS, and refuses a certificate for another name', async () => {
    expect((await directory({ url: ad.ldapsUrl }).verifyPassword('jsmith', people.jsmith.password)).ok).toBe(true);
    await expect(directory({ tls: { ca_file: ad.certificates.caFile, server_name: 'other.corp.test' } }).verifyPassword('jsmith', people.jsmith.password)).rejects.toBeInstanceOf(
      DirectoryUnavailableError,
    );
    await expect(
      directory({ url: ad.ldapsUrl, tls: { ca_file: ad.certificates.otherCaFile, server_name: AD_SERVER_NAME } }).verifyPassword('jsmith', people.jsmith.password),
    ).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('reads only direct groups from memberOf when asked to', async () => {
    expect(await directory({ groups: { lookup: 'member_of' } }).verifyPassword('jsmith', people.jsmith.password)).toEqual({
      ok: true,
      user: expect.objectContaining({ groups: ['Cyc A', 'Sales, EMEA'] }),
    });
  });

  it('finds a non-ASCII name typed in NFC or NFD, and its userPrincipalName', async () => {
    const d = directory();
    for (const typed of ['zoë', 'zoë'.normalize('NFD'), 'ZOË', 'zoe@corp.test']) {
      expect(await d.verifyPassword(typed, people.zoe.password), typed).toEqual({ ok: true, user: expect.objectContaining({ username: 'zoë', displayName: 'Zoë Ångström' }) });
    }
    expect(await d.verifyPassword('zoë', people.zoe.password.normalize('NFD'))).toEqual({ ok: false, reason: 'invalid-credentials', username: 'zoë' });
  });

  it('answers a wrong password, an unknown name and hostile input alike', async () => {
    const d = directory();
    expect(await d.verifyPassword('jsmith', 'Wrong-password-1')).toEqual({ ok: false, reason: 'invalid-credentials', username: 'jsmith' });
    for (const typed of ['nobody', '*', 'j*', '*)(sAMAccountName=*', 'jsmith)(|(objectClass=*', '\\', 'jsmith\u0000', 'x'.repeat(10_000)]) {
      expect(await d.verifyPassword(typed, people.jsmith.password), typed.slice(0, 40)).toEqual({ ok: false, reason: 'invalid-credentials' });
    }
    for (const password of ['', ' ', '\t']) expect(await d.verifyPassword('jsmith', password)).toEqual({ ok: false, reason: 'invalid-credentials' });
  });

  it.each([
    ['disabled', 'account-disabled'],
    ['expired', 'account-expired'],
    ['mustchange', 'password-must-change'],
  ] as const)('tells a %s user their state once the password was right, and a wrong password nothing', async (name, state) => {
    const d = directory();
    expect(await d.verifyPassword(name, people[name].password)).toEqual({ ok: false, reason: 'account-state', state, username: name });
    expect(await d.verifyPassword(name, 'Wrong-password-1')).toEqual({ ok: false, reason: 'invalid-credentials', username: name });
  });

  it('answers a locked-out account like a wrong password, whichever password is typed (the domain controller says 775 to both)', async () => {
    const d = directory();
    const right = await d.verifyPassword('locked', people.locked.password);
    const wrong = await d.verifyPassword('locked', 'Wrong-password-9');
    expect(right).toEqual({ ok: false, reason: 'invalid-credentials', username: 'locked' });
    expect(wrong).toEqual(right);
  });

  it('takes a group away at the next refresh, and ends the sessions of a user disabled since', async () => {
    const d = directory();
    expect(await d.verifyPassword('mover', people.mover.password)).toEqual({ ok: true, user: expect.objectContaining({ groups: ['Wiki Editors'] }) });
    await ad.removeMember(groups.wiki, dns.mover);
    expect(await d.refreshAll()).toMatchObject({ updated: ['mover'], revoked: [] });
    expect(d.peekSessionUser({ username: 'mover', displayName: 'Mo Ver', email: '', groups: ['Wiki Editors'], source: 'ldap' })).toMatchObject({ groups: [] });
    await ad.set(dns.mover, { userAccountControl: '514' });
    expect(await d.refreshAll()).toMatchObject({ revoked: ['mover'] });
  });

  it('diagnoses the setup as `gatehouse directory test` prints it: service bind, one user, nested groups', async () => {
    const settings = resolveLdapSettings(ldapSchema.parse(adConfig()));
    const steps = await diagnoseDirectory(settings, { logger: createSilentLogger(), now: Date.now }, 'jsmith@corp.test');
    expect(steps.every((step) => step.ok)).toBe(true);
    expect(steps.find((step) => step.step === 'groups')).toMatchObject({ ok: true, names: ['Cyc A', 'Cyc B', 'Sales, EMEA', 'VPN Users'], searches: 1 });
  });

  describe('through the portal', () => {
    let h: GatewayHarness;
    beforeAll(async () => {
      h = await startGatewayHarness({
        configure: (config) => {
          config.authentication.ldap = adConfig();
          config.access_control.rules.unshift(
            { domain: APP, resources: ['/vpn(/.*)?'], subject: ['group:VPN Users'], policy: 'one_factor' },
            { domain: APP, resources: ['/vpn(/.*)?'], policy: 'deny' },
          );
        },
      });
    }, 120_000);
    afterAll(async () => h?.close());

    it('signs John in by his userPrincipalName: the app gets his account name and a nested group', async () => {
      const cookie = await h.signIn('JSmith@corp.test', people.jsmith.password);
      const response = await h.request({ path: '/vpn/page', host: APP, headers: { cookie } });
      expect(response.status).toBe(200);
      const headers = JSON.parse(response.body).headers as Record<string, string>;
      expect(headers['remote-user']).toBe('jsmith');
      expect(headers['remote-groups']?.split(',')).toContain('VPN Users');
    });

    it('shows a must-change user the page that says so, and a locked-out one the wrong-password page', async () => {
      const mustChange = await h.postSignIn({ username: 'mustchange', password: people.mustchange.password });
      expect(mustChange.status).toBe(403);
      expect(mustChange.body).toContain('You must change your password before you can sign in');
      const locked = await h.postSignIn({ username: 'locked', password: people.locked.password });
      const wrong = await h.postSignIn({ username: 'jsmith', password: 'Wrong-password-2' });
      expect(locked.status).toBe(401);
      expect(wrong.status).toBe(401);
    });
  });
});
