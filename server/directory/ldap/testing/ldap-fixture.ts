import { Attribute, Change } from 'ldapts';
import { ldapSchema, type LdapConfig } from '../../../config/ldap-schema.js';
import { GROUPS, PEOPLE, SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type TestSlapd } from '../../../testing/slapd-server.js';
import { resolveLdapSettings, type LdapSettings } from '../ldap-settings.js';

/** Users of the test directory, with their passwords (NFC unless the name says otherwise). */
export const LDAP_USERS = {
  alice: { uid: 'alice', password: 'alice-ldap-secret', cn: 'Alice Liu', displayName: 'Alice Liu', mail: 'alice@corp.test', mobile: '+886 912 345 678' },
  bob: { uid: 'bob', password: 'bob-ldap-secret', cn: 'Bob Chen', displayName: '陳柏宇 Bob Chen', mail: 'bob@corp.test' },
  zoe: { uid: 'zoë', password: 'pässwörd-ÿ-東京', cn: 'Zoë', displayName: 'Zoë Ångström', mail: 'zoe@corp.test' },
  many: { uid: 'many', password: 'many-groups-secret', cn: 'Many Groups', displayName: 'Many Groups', mail: 'many@corp.test' },
  locked: { uid: 'locked', password: 'locked-secret', cn: 'Locked', displayName: 'Locked Out', mail: 'locked@corp.test' },
  reset: { uid: 'reset', password: 'reset-secret', cn: 'Reset', displayName: 'Reset By Admin', mail: 'reset@corp.test' },
  carol: { uid: 'carol', password: 'carol-ldap-secret', cn: 'Carol', displayName: 'Carol', mail: 'carol@corp.test' },
  dave: { uid: 'dave', password: 'dave-ldap-secret', cn: 'Dave', displayName: 'Dave Wu', mail: 'dave@corp.test', mobile: '+886 900 000 001' },
  erin: { uid: 'erin', password: 'erin-ldap-secret', cn: 'Erin', displayName: 'Erin', mail: 'erin@corp.test' },
} as const;

export const dnOf = (uid: string) => `uid=${uid},${PEOPLE}`;
export const groupDn = (cn: string) => `cn=${cn},${GROUPS}`;
export const MANY_GROUPS = 2000;

/**
 * The directory most LDAP tests use: people with mail and mobile, direct groups (dev, ops),
 * nested ones (eng holds dev, all-staff holds eng), a cycle (cyc-a and cyc-b hold each other),
 * a user in 2,000 groups, two entries for the name "twin", a ppolicy-locked user and one an
 * administrator reset (pwdReset).
 */
export async function startLdapFixture(options: { adSchema?: boolean; manyGroups?: boolean } = {}): Promise<TestSlapd> {
  const slapd = await startSlapd(options.adSchema ? { adSchema: true } : {});
  const people = Object.values(LDAP_USERS)
    .map((u) =>
      ldifEntry(dnOf(u.uid), {
        objectClass: 'inetOrgPerson',
        uid: u.uid,
        cn: u.cn,
        sn: u.cn,
        displayName: u.displayName,
        mail: u.mail,
        ...('mobile' in u ? { mobile: u.mobile } : {}),
        userPassword: u.password,
      }),
    )
    .join('\n');
  const twins = [`ou=twins-a,${SUFFIX}`, `ou=twins-b,${SUFFIX}`]
    .map(
      (ou, i) =>
        `${ldifEntry(ou, { objectClass: 'organizationalUnit', ou: ou.slice(3, ou.indexOf(',')) })}\n${ldifEntry(`uid=twin,${ou}`, { objectClass: 'inetOrgPerson', uid: 'twin', cn: `Twin ${i}`, sn: 'Twin', userPassword: 'twin-secret' })}`,
    )
    .join('\n');
  const groups = [
    ldifEntry(groupDn('dev'), { objectClass: 'groupOfNames', cn: 'dev', member: [dnOf('alice'), dnOf('zoë'), dnOf('dave')] }),
    ldifEntry(groupDn('ops'), { objectClass: 'groupOfNames', cn: 'ops', member: [dnOf('bob'), dnOf('carol'), dnOf('dave'), dnOf('erin')] }),
    ldifEntry(groupDn('eng'), { objectClass: 'groupOfNames', cn: 'eng', member: groupDn('dev') }),
    ldifEntry(groupDn('all-staff'), { objectClass: 'groupOfNames', cn: 'all-staff', member: groupDn('eng') }),
    ldifEntry(groupDn('cyc-a'), { objectClass: 'groupOfNames', cn: 'cyc-a', member: dnOf('alice') }),
    ldifEntry(groupDn('cyc-b'), { objectClass: 'groupOfNames', cn: 'cyc-b', member: groupDn('cyc-a') }),
  ].join('\n');
  await slapd.addLdif(`${people}\n${twins}\n${groups}\n`);
  // The cycle's second edge, once both ends exist.
  await slapd.modify(groupDn('cyc-a'), addValue('member', groupDn('cyc-b')));
  if (options.manyGroups !== false) {
    const many = Array.from({ length: MANY_GROUPS }, (_, i) =>
      ldifEntry(groupDn(`g${String(i).padStart(4, '0')}`), { objectClass: 'groupOfNames', cn: `g${String(i).padStart(4, '0')}`, member: dnOf('many') }),
    );
    await slapd.addLdif(`${many.join('\n')}\n`);
  }
  await slapd.modify(dnOf('locked'), replace('pwdAccountLockedTime', '000001010000Z'));
  await slapd.modify(dnOf('reset'), replace('pwdReset', 'TRUE'));
  return slapd;
}

export function replace(type: string, value: string | string[]) {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: Array.isArray(value) ? value : [value] }) });
}

export function addValue(type: string, value: string) {
  return new Change({ operation: 'add', modification: new Attribute({ type, values: [value] }) });
}

export function deleteValue(type: string, value: string) {
  return new Change({ operation: 'delete', modification: new Attribute({ type, values: [value] }) });
}

/** One LDIF record; values that need it are base64-encoded (non-ASCII, leading space). */
export function ldifEntry(dn: string, attributes: Record<string, string | readonly string[]>): string {
  const line = (name: string, value: string) =>
    /^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value) ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
  const lines = [line('dn', dn)];
  for (const [name, value] of Object.entries(attributes)) for (const v of Array.isArray(value) ? value : [value]) lines.push(line(name, v as string));
  return `${lines.join('\n')}\n`;
}

/** The raw config section a test would write, pointed at this slapd. */
export function ldapConfigFor(slapd: TestSlapd, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    implementation: 'openldap',
    url: slapd.url,
    tls: { ca_file: slapd.certificates.caFile, server_name: slapd.certificates.serverName },
    bind_dn: SERVICE_DN,
    password: SERVICE_PASSWORD,
    base_dn: SUFFIX,
    connect_timeout: '2s',
    timeout: '3s',
    ...overrides,
  };
}

export function ldapSettingsFor(slapd: TestSlapd, overrides: Record<string, unknown> = {}): LdapSettings {
  const parsed: LdapConfig = ldapSchema.parse(ldapConfigFor(slapd, overrides));
  return resolveLdapSettings(parsed);
}
