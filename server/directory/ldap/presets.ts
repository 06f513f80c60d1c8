import type { LdapImplementation } from '../../config/ldap-schema.js';

export interface LdapPreset {
  /** Below base_dn, or base_dn itself when empty. */
  usersRdn: string;
  userFilter?: string;
  attributes: { username?: string; displayName: string; mail: string; mobile: string; memberOf: string; groupName: string };
  groupsRdn: string;
  groupLookup: 'member_of' | 'search';
  groupFilter?: string;
  nested: boolean;
}

/**
 * What `implementation` fills in. Active Directory: sAMAccountName or userPrincipalName signs in
 * (normal user accounts only), and groups come from one search with the in-chain matching rule
 * (1.2.840.113556.1.4.1941), which asks the domain controller for nested groups too. OpenLDAP:
 * uid, and memberOf kept by the memberof overlay (direct groups). FreeIPA: its users and groups
 * containers; its memberOf already lists nested groups.
 */
export const PRESETS: Record<LdapImplementation, LdapPreset> = {
  activedirectory: {
    usersRdn: '',
    userFilter: '(&(sAMAccountType=805306368)(|(sAMAccountName={username})(userPrincipalName={username})))',
    attributes: { username: 'sAMAccountName', displayName: 'displayName', mail: 'mail', mobile: 'mobile', memberOf: 'memberOf', groupName: 'cn' },
    groupsRdn: '',
    groupLookup: 'search',
    groupFilter: '(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={dn}))',
    nested: false,
  },
  openldap: {
    usersRdn: '',
    userFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
    attributes: { username: 'uid', displayName: 'displayName', mail: 'mail', mobile: 'mobile', memberOf: 'memberOf', groupName: 'cn' },
    groupsRdn: '',
    groupLookup: 'member_of',
    groupFilter: '(&(objectClass=groupOfNames)(member={dn}))',
    nested: false,
  },
  freeipa: {
    usersRdn: 'cn=users,cn=accounts',
    userFilter: '(&(objectClass=person)(uid={username}))',
    attributes: { username: 'uid', displayName: 'displayName', mail: 'mail', mobile: 'mobile', memberOf: 'memberOf', groupName: 'cn' },
    groupsRdn: 'cn=groups,cn=accounts',
    groupLookup: 'member_of',
    groupFilter: '(&(objectClass=groupOfNames)(member={dn}))',
    nested: false,
  },
  custom: {
    usersRdn: '',
    attributes: { displayName: 'displayName', mail: 'mail', mobile: 'mobile', memberOf: 'memberOf', groupName: 'cn' },
    groupsRdn: '',
    groupLookup: 'member_of',
    nested: false,
  },
};

/**
 * Attributes read to tell an account's state, whatever the implementation (servers ignore names
 * they do not know): AD's userAccountControl family, OpenLDAP ppolicy's operational attributes
 * (asked for by name), FreeIPA's nsAccountLock and Kerberos expiry.
 */
export const STATE_ATTRIBUTES = [
  'userAccountControl',
  'msDS-User-Account-Control-Computed',
  'accountExpires',
  'lockoutTime',
  'pwdLastSet',
  'pwdAccountLockedTime',
  'pwdReset',
  'pwdChangedTime',
  'nsAccountLock',
  'krbPasswordExpiration',
  'krbPrincipalExpiration',
  'krbLastPwdChange',
] as const;
