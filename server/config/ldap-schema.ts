import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

/**
 * `authentication.ldap`: a directory server (Active Directory, OpenLDAP, FreeIPA or another)
 * beside or instead of the users file. Keys left out take the preset of `implementation`
 * (server/directory/ldap/presets.ts); every one can be set.
 */

export const LDAP_IMPLEMENTATIONS = ['activedirectory', 'openldap', 'freeipa', 'custom'] as const;
export type LdapImplementation = (typeof LDAP_IMPLEMENTATIONS)[number];

const seconds = (fallback: string, max: number) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const parsed = parseDuration(value);
      if (parsed === undefined || parsed <= 0) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a positive duration (use e.g. 500ms, 5s, 5m)` });
        return z.NEVER;
      }
      if (parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${max}s` });
        return z.NEVER;
      }
      return parsed;
    })
    .prefault(fallback);

const ldapUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a URL` });
    return;
  }
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} must be an ldaps:// URL, or ldap:// (always upgraded with StartTLS)` });
  } else if (url.username || url.password || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash || !url.hostname) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} must be scheme, host and port only (put the base DN in base_dn)` });
  }
});

/** An attribute description: a name (sAMAccountName, msDS-User-Account-Control-Computed) or an OID. */
const attributeName = z.string().regex(/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)+)$/, { error: 'must be an LDAP attribute name' });

/** A DN as written in the config; checked for shape only, it is never built from input. */
const dn = z.string().trim().min(1).max(1024);

export const ldapSchema = z.strictObject({
  /** Fills attribute names and filters; any of them can still be set. */
  implementation: z.enum(LDAP_IMPLEMENTATIONS),
  /** One or more servers, tried in this order for each new connection (failover). */
  url: z.union([ldapUrl, z.array(ldapUrl).min(1).max(16)]).transform((v) => (Array.isArray(v) ? v : [v])),
  tls: z
    .strictObject({
      /** PEM file of the CA(s) that signed the servers' certificates; absent: the system's CAs. */
      ca_file: z.string().min(1).optional(),
      /** The name the certificate must carry; absent: the host of the URL being connected. */
      server_name: z
        .string()
        .regex(/^[A-Za-z0-9.-]+$/, { error: 'must be a host name' })
        .optional(),
      /** Accept any certificate. Only for a lab: anyone on the path can then read every password. */
      insecure_skip_verify: z.boolean().default(false),
    })
    .prefault({} as never),
  /** The service account that searches (read-only is enough). */
  bind_dn: dn,
  password: z.string().min(1, { error: 'must not be empty (an empty password is an anonymous bind)' }),
  base_dn: dn,
  users: z
    .strictObject({
      /** Where users are searched (subtree); default: base_dn (FreeIPA: cn=users,cn=accounts,base_dn). */
      base_dn: dn.optional(),
      /** Finds the one entry for a typed name; `{username}` is replaced, RFC 4515-escaped. */
      filter: z.string().min(3).max(4096).optional(),
    })
    .prefault({} as never),
  attributes: z
    .strictObject({
      /** The name a session, rule and header carry (lower-cased). */
      username: attributeName.optional(),
      display_name: attributeName.optional(),
      mail: attributeName.optional(),
      mobile: attributeName.optional(),
      /** On the user: the DNs of their groups. */
      member_of: attributeName.optional(),
      /** On a group found by search: its name. */
      group_name: attributeName.optional(),
    })
    .prefault({} as never),
  groups: z
    .strictObject({
      /** `member_of`: the user's member_of attribute; `search`: groups matching `filter`. */
      lookup: z.enum(['member_of', 'search']).optional(),
      /** Where groups are searched, and the only place memberOf values are taken from; default: base_dn. */
      base_dn: dn.optional(),
      /** Groups of a member: `{dn}` (the member's DN) and `{username}`, RFC 4515-escaped. */
      filter: z.string().min(3).max(4096).optional(),
      /** Follow groups in groups, level by level with `filter` (AD's preset filter asks the server instead). */
      nested: z.boolean().optional(),
      /** Levels followed when nested. */
      max_depth: z.number().int().min(1).max(20).default(10),
    })
    .prefault({} as never),
  /** A TCP connection (and TLS handshake) to one server. */
  connect_timeout: seconds('5s', 60),
  /** One operation: a search or a bind. */
  timeout: seconds('5s', 120),
  /** Connections kept open as the service account. */
  pool_size: z.number().int().min(1).max(32).default(4),
  /** How often signed-in users are looked up again (groups, disabled, removed). */
  refresh_interval: seconds('5m', 86_400),
  /** How long sessions go on while refreshing fails (the directory is down); then they stop. */
  refresh_grace: z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const parsed = parseDuration(value);
      if (parsed === undefined) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration` });
        return z.NEVER;
      }
      return parsed;
    })
    .prefault('15m'),
  /** Shown to users whose password expired or must be changed. */
  password_change_url: z
    .string()
    .refine(
      (v) => {
        try {
          return ['https:', 'http:'].includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { error: 'must be an http or https URL' },
    )
    .optional(),
});

export type LdapConfig = z.output<typeof ldapSchema>;
