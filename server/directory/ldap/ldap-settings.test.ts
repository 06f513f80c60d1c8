import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensibleFilter, type AndFilter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../config/load-config.js';
import { ldapSchema } from '../../config/ldap-schema.js';
import { fillFilter } from './filter-template.js';
import { LdapSettingsError, resolveLdapSettings } from './ldap-settings.js';
import { tempDirForTest } from '../../testing/temp-dir.js';

const base = { url: 'ldaps://dc1.corp.example', bind_dn: 'CN=svc,OU=Service,DC=corp,DC=example', password: 'service-secret', base_dn: 'DC=corp,DC=example' };
const settings = (extra: Record<string, unknown>) => resolveLdapSettings(ldapSchema.parse({ ...base, ...extra }));

describe('LDAP presets', () => {
  it('fills Active Directory: sAMAccountName or userPrincipalName, normal accounts, groups by in-chain search', () => {
    const ad = settings({ implementation: 'activedirectory' });
    expect(ad.users).toMatchObject({ baseDn: 'DC=corp,DC=example' });
    expect(ad.users.filter.text).toBe('(&(sAMAccountType=805306368)(|(sAMAccountName={username})(userPrincipalName={username})))');
    expect(ad.attributes).toEqual({ username: 'sAMAccountName', displayName: 'displayName', mail: 'mail', mobile: 'mobile', memberOf: 'memberOf', groupName: 'cn' });
    expect(ad.groups).toMatchObject({ lookup: 'search', nested: false, maxDepth: 10, baseDn: 'DC=corp,DC=example' });
    const filter = fillFilter(ad.groups.filter!, { dn: 'CN=Smith\\, John,OU=People,DC=corp,DC=example', username: 'jsmith' }) as AndFilter;
    const chain = filter.filters[1] as ExtensibleFilter;
    expect(chain).toBeInstanceOf(ExtensibleFilter);
    expect([chain.matchType, chain.rule, chain.value]).toEqual(['member', '1.2.840.113556.1.4.1941', 'CN=Smith\\, John,OU=People,DC=corp,DC=example']);
  });

  it('fills OpenLDAP: uid and the memberof overlay', () => {
    const openldap = settings({ implementation: 'openldap' });
    expect(openldap.users.filter.text).toBe('(&(objectClass=inetOrgPerson)(uid={username}))');
    expect(openldap.attributes.username).toBe('uid');
    expect(openldap.groups).toMatchObject({ lookup: 'member_of', nested: false });
  });

  it('fills FreeIPA: its users and groups containers', () => {
    const ipa = settings({ implementation: 'freeipa', base_dn: 'dc=ipa,dc=example' });
    expect(ipa.users.baseDn).toBe('cn=users,cn=accounts,dc=ipa,dc=example');
    expect(ipa.groups.baseDn).toBe('cn=groups,cn=accounts,dc=ipa,dc=example');
    expect(ipa.groups.lookup).toBe('member_of');
  });

  it('lets every value be set', () => {
    const custom = settings({
      implementation: 'activedirectory',
      users: { base_dn: 'OU=Staff,DC=corp,DC=example', filter: '(&(objectClass=user)(mail={username}))' },
      attributes: { username: 'mail', display_name: 'cn', mail: 'proxyAddresses', mobile: 'telephoneNumber', member_of: 'memberOf', group_name: 'sAMAccountName' },
      groups: { lookup: 'member_of', base_dn: 'OU=Groups,DC=corp,DC=example', filter: '(&(objectClass=group)(member={dn}))', nested: true, max_depth: 3 },
      connect_timeout: '2s',
      timeout: '4s',
      pool_size: 2,
      refresh_interval: '1m',
      refresh_grace: '0s',
    });
    expect(custom.users).toMatchObject({ baseDn: 'OU=Staff,DC=corp,DC=example' });
    expect(custom.users.filter.text).toBe('(&(objectClass=user)(mail={username}))');
    expect(custom.attributes).toEqual({
      username: 'mail',
      displayName: 'cn',
      mail: 'proxyAddresses',
      mobile: 'telephoneNumber',
      memberOf: 'memberOf',
      groupName: 'sAMAccountName',
    });
    expect(custom.groups).toMatchObject({ lookup: 'member_of', baseDn: 'OU=Groups,DC=corp,DC=example', nested: true, maxDepth: 3 });
    expect([custom.connectTimeoutMs, custom.timeoutMs, custom.poolSize, custom.refreshIntervalMs, custom.refreshGraceMs]).toEqual([2000, 4000, 2, 60_000, 0]);
  });
});

describe('LDAP settings that cannot work', () => {
  const errors = (extra: Record<string, unknown>) => {
    try {
      settings(extra);
      return [];
    } catch (error) {
      if (error instanceof LdapSettingsError) return error.errors;
      throw error;
    }
  };

  it('reports every problem at once, with its path', () => {
    expect(
      errors({
        implementation: 'openldap',
        base_dn: 'not a dn',
        users: { filter: '(uid=alice)' },
        groups: { filter: '(member={user})', nested: true },
        tls: { ca_file: '/nonexistent/ca.pem' },
      }),
    ).toEqual([
      'authentication.ldap.base_dn: "not a dn" is not a DN',
      'authentication.ldap.users.filter: must contain {username}',
      'authentication.ldap.groups.filter: {user} is not a placeholder here (use {username} or {dn})',
      'authentication.ldap.tls.ca_file: cannot read /nonexistent/ca.pem (ENOENT)',
    ]);
  });

  it('needs {dn} to follow nested groups', () => {
    expect(errors({ implementation: 'openldap', groups: { filter: '(memberUid={username})', nested: true } })).toEqual([
      "authentication.ldap.groups.filter: must contain {dn} to follow nested groups (a group is found by its member's DN)",
    ]);
  });

  it('refuses a CA file without a certificate in it', () => {
    const dir = tempDirForTest('gatehouse-ca-');
    writeFileSync(join(dir, 'ca.pem'), 'not a certificate');
    expect(errors({ implementation: 'openldap', tls: { ca_file: join(dir, 'ca.pem') } })).toEqual([
      `authentication.ldap.tls.ca_file: ${join(dir, 'ca.pem')} holds no PEM certificate`,
    ]);
  });
});

describe('the authentication.ldap config section', () => {
  const load = (ldap: unknown, extra = '') =>
    parseConfigText(
      `server: { portal_url: https://auth.corp.example/ }\nsession: { store: memory }\nsecond_factors: { totp: { enabled: false } }\nauthentication:\n  ldap: ${JSON.stringify(ldap)}\n${extra}`,
      { env: { LDAP_PW: 'from-env' }, baseDir: tmpdir() },
    );

  it('accepts LDAP without a users file, with one or several URLs, and reads the password from the environment', () => {
    const one = load({ ...base, implementation: 'activedirectory', password: '${LDAP_PW}' });
    expect(one.ok && one.config.authentication.ldap).toMatchObject({
      url: ['ldaps://dc1.corp.example'],
      password: 'from-env',
      refresh_interval: 300,
      refresh_grace: 900,
      timeout: 5,
      connect_timeout: 5,
      pool_size: 4,
    });
    const two = load({ ...base, implementation: 'activedirectory', url: ['ldaps://dc1.corp.example', 'ldap://dc2.corp.example:389'] });
    expect(two.ok && two.config.authentication.ldap?.url).toEqual(['ldaps://dc1.corp.example', 'ldap://dc2.corp.example:389']);
  });

  it('reads the service password from password_file, and refuses both at once', () => {
    const dir = tempDirForTest('gatehouse-ldap-');
    writeFileSync(join(dir, 'ldap-password'), 'file-secret\n');
    const { password: _password, ...rest } = base;
    const fromFile = load({ ...rest, implementation: 'openldap', password_file: join(dir, 'ldap-password') });
    expect(fromFile.ok && fromFile.config.authentication.ldap?.password).toBe('file-secret');
    const both = load({ ...base, implementation: 'openldap', password_file: join(dir, 'ldap-password') });
    expect(both.ok ? [] : both.errors).toEqual(['authentication.ldap.password_file: set either password or password_file, not both']);
  });

  it.each([
    [{ url: 'http://dc1.corp.example' }, 'authentication.ldap.url: "http://dc1.corp.example" must be an ldaps:// URL, or ldap:// (always upgraded with StartTLS)'],
    [{ url: 'ldaps://dc1.corp.example/DC=corp' }, 'authentication.ldap.url: "ldaps://dc1.corp.example/DC=corp" must be scheme, host and port only (put the base DN in base_dn)'],
    [{ url: 'ldaps://user:pw@dc1.corp.example' }, 'authentication.ldap.url: "ldaps://user:pw@dc1.corp.example" must be scheme, host and port only (put the base DN in base_dn)'],
    [{ password: '' }, 'authentication.ldap.password: must not be empty (an empty password is an anonymous bind)'],
    [{ implementation: 'novell' }, 'authentication.ldap.implementation: Invalid option: expected one of "activedirectory"|"openldap"|"freeipa"|"custom"'],
    [{ tls: { insecure_skip_verify: true, ca_file: 'ca.pem' } }, 'authentication.ldap.tls.ca_file: has no effect with insecure_skip_verify: true (no certificate is checked)'],
    [{ timeout: '0s' }, 'authentication.ldap.timeout: "0s" is not a positive duration (use e.g. 500ms, 5s, 5m)'],
    [{ attributes: { username: 'sAM AccountName' } }, 'authentication.ldap.attributes.username: must be an LDAP attribute name'],
    [{ implementation: 'custom' }, 'authentication.ldap.users.filter: is required when implementation is "custom"'],
    [{ password_change_url: 'javascript:alert(1)' }, 'authentication.ldap.password_change_url: must be an http or https URL'],
    [{ colour: 'blue' }, 'authentication.ldap.colour: unknown key'],
  ])('refuses %j', (extra, message) => {
    const result = load({ ...base, implementation: 'openldap', ...extra });
    expect(result.ok ? [] : result.errors).toContain(message);
  });

  it('needs users_file, ldap or both', () => {
    const result = parseConfigText(
      'server: { portal_url: https://auth.corp.example/ }\nsession: { store: memory }\nsecond_factors: { totp: { enabled: false } }\nauthentication: {}\n',
      { env: {}, baseDir: tmpdir() },
    );
    expect(result.ok ? [] : result.errors).toEqual(['authentication: needs users_file, ldap, or both']);
  });
});
