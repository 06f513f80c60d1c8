import { DEMO_USERS } from '../../server/commands/demo.js';
import { dnOf, groupDn, ldapConfigFor, ldifEntry } from '../../server/directory/ldap/testing/ldap-fixture.js';
import { startSlapd, type TestSlapd } from '../../server/testing/slapd-server.js';

/**
 * The demo users (alice, bob) in a directory of their own: a private slapd (StartTLS, memberOf)
 * holding them with their passwords, names, mail and groups, and the `authentication.ldap`
 * section (the `openldap` preset) that reaches it, so a browser test can run with LDAP as
 * the directory instead of the users file.
 */
export async function startDemoDirectory(): Promise<{ slapd: TestSlapd; ldap: Record<string, unknown> }> {
  const slapd = await startSlapd();
  try {
    const people = DEMO_USERS.map((u) =>
      ldifEntry(dnOf(u.username), {
        objectClass: 'inetOrgPerson',
        uid: u.username,
        cn: u.displayname,
        sn: u.displayname,
        displayName: u.displayname,
        mail: u.email,
        userPassword: u.password,
      }),
    );
    const names = [...new Set(DEMO_USERS.flatMap((u) => u.groups))];
    const groups = names.map((name) =>
      ldifEntry(groupDn(name), { objectClass: 'groupOfNames', cn: name, member: DEMO_USERS.filter((u) => u.groups.includes(name)).map((u) => dnOf(u.username)) }),
    );
    await slapd.addLdif(`${[...people, ...groups].join('\n')}\n`);
    return { slapd, ldap: ldapConfigFor(slapd) };
  } catch (error) {
    await slapd.close();
    throw error;
  }
}
