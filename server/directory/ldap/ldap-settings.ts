import { readFileSync } from 'node:fs';
import type { LdapConfig, LdapImplementation } from '../../config/ldap-schema.js';
import { parseDn } from './dn.js';
import { compileFilterTemplate, type FilterTemplate } from './filter-template.js';
import { PRESETS } from './presets.js';

/** Everything the LDAP directory uses, every preset value filled in and every filter checked. */
export interface LdapSettings {
  implementation: LdapImplementation;
  urls: readonly string[];
  tls: { ca?: string; serverName?: string; insecureSkipVerify: boolean };
  bindDn: string;
  password: string;
  users: { baseDn: string; filter: FilterTemplate };
  attributes: { username: string; displayName: string; mail: string; mobile: string; memberOf: string; groupName: string };
  groups: { lookup: 'member_of' | 'search'; baseDn: string; filter?: FilterTemplate; nested: boolean; maxDepth: number };
  connectTimeoutMs: number;
  timeoutMs: number;
  poolSize: number;
  refreshIntervalMs: number;
  refreshGraceMs: number;
  passwordChangeUrl?: string;
}

/** Thrown at boot when the LDAP section cannot be used; `errors` lists every problem with its path. */
export class LdapSettingsError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`authentication.ldap is invalid:\n  ${errors.join('\n  ')}`);
    this.name = 'LdapSettingsError';
  }
}

const PATH = 'authentication.ldap';

/** The parsed config section with its preset applied; reads tls.ca_file. Throws LdapSettingsError. */
export function resolveLdapSettings(config: LdapConfig): LdapSettings {
  const preset = PRESETS[config.implementation];
  const errors: string[] = [];
  const join = (rdn: string, base: string) => (rdn ? `${rdn},${base}` : base);
  const checkDn = (key: string, value: string) => {
    if (!parseDn(value)?.length) errors.push(`${PATH}.${key}: ${JSON.stringify(value)} is not a DN`);
  };
  checkDn('base_dn', config.base_dn);
  checkDn('bind_dn', config.bind_dn);
  if (config.users.base_dn !== undefined) checkDn('users.base_dn', config.users.base_dn);
  if (config.groups.base_dn !== undefined) checkDn('groups.base_dn', config.groups.base_dn);

  const template = (key: string, text: string | undefined, options: Parameters<typeof compileFilterTemplate>[1]) => {
    if (text === undefined) return undefined;
    const result = compileFilterTemplate(text, options);
    if (result.ok) return result.template;
    errors.push(`${PATH}.${key}: ${result.error}`);
    return undefined;
  };
  const userFilter = template('users.filter', config.users.filter ?? preset.userFilter, { allowed: ['username'], required: ['username'] });
  const lookup = config.groups.lookup ?? preset.groupLookup;
  const nested = config.groups.nested ?? preset.nested;
  const groupFilter = template('groups.filter', config.groups.filter ?? preset.groupFilter, { allowed: ['username', 'dn'], required: ['username', 'dn'] });
  if (nested && groupFilter && !groupFilter.placeholders.has('dn')) {
    errors.push(`${PATH}.groups.filter: must contain {dn} to follow nested groups (a group is found by its member's DN)`);
  }
  if ((lookup === 'search' || nested) && !groupFilter && config.groups.filter === undefined && !preset.groupFilter) {
    errors.push(`${PATH}.groups.filter: is required to search or nest groups`);
  }
  const username = config.attributes.username ?? preset.attributes.username;
  if (!username) errors.push(`${PATH}.attributes.username: is required`);

  let ca: string | undefined;
  if (config.tls.ca_file !== undefined) {
    try {
      ca = readFileSync(config.tls.ca_file, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) errors.push(`${PATH}.tls.ca_file: ${config.tls.ca_file} holds no PEM certificate`);
    } catch (error) {
      errors.push(`${PATH}.tls.ca_file: cannot read ${config.tls.ca_file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (errors.length > 0 || !userFilter || !username) throw new LdapSettingsError(errors);

  return {
    implementation: config.implementation,
    urls: config.url,
    tls: { ...(ca ? { ca } : {}), ...(config.tls.server_name ? { serverName: config.tls.server_name } : {}), insecureSkipVerify: config.tls.insecure_skip_verify },
    bindDn: config.bind_dn,
    password: config.password,
    users: { baseDn: config.users.base_dn ?? join(preset.usersRdn, config.base_dn), filter: userFilter },
    attributes: {
      username,
      displayName: config.attributes.display_name ?? preset.attributes.displayName,
      mail: config.attributes.mail ?? preset.attributes.mail,
      mobile: config.attributes.mobile ?? preset.attributes.mobile,
      memberOf: config.attributes.member_of ?? preset.attributes.memberOf,
      groupName: config.attributes.group_name ?? preset.attributes.groupName,
    },
    groups: {
      lookup,
      baseDn: config.groups.base_dn ?? join(preset.groupsRdn, config.base_dn),
      ...(groupFilter ? { filter: groupFilter } : {}),
      nested,
      maxDepth: config.groups.max_depth,
    },
    connectTimeoutMs: config.connect_timeout * 1000,
    timeoutMs: config.timeout * 1000,
    poolSize: config.pool_size,
    refreshIntervalMs: config.refresh_interval * 1000,
    refreshGraceMs: config.refresh_grace * 1000,
    ...(config.password_change_url ? { passwordChangeUrl: config.password_change_url } : {}),
  };
}
