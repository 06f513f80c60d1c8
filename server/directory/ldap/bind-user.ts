import { InvalidCredentialsError, ResultCodeError } from 'ldapts';
import type { DirectoryState } from '../directory.js';
import type { LdapConnection } from './ldap-connection.js';
import { PasswordPolicyControl } from './password-policy-control.js';

export type BindOutcome =
  /** `mustChange`: the password policy control answered changeAfterReset. */
  | { ok: true; mustChange: boolean }
  /** Wrong password, or a state the server reports whatever the password (ppolicy's accountLocked). */
  | { ok: false; reason: 'invalid'; detail: string }
  /** The server says the password was right but the account may not sign in as it is. */
  | { ok: false; reason: 'state'; state: DirectoryState; detail: string };

/**
 * Active Directory's sub-codes in a failed bind's message ("… AcceptSecurityContext error,
 * data 532, v4563"). AD sends these only once the password checked out; a wrong password gets
 * 52e whatever the account's state, so none of them tells a guesser anything. Not 775 (locked
 * out): a domain controller answers it to any password once the account is locked (seen on
 * Samba AD), so it is a wrong password here, or a guesser would learn which names exist.
 */
const AD_DATA_CODES: Record<string, DirectoryState> = {
  '532': 'password-expired',
  '773': 'password-must-change',
  '701': 'account-expired',
  '533': 'account-disabled',
};

/** The AD sub-code of a bind error message, lower case, if it has one. */
export function adDataCode(message: string): string | undefined {
  return /\bdata ([0-9a-f]{3,8})\b/i.exec(message)?.[1]?.toLowerCase();
}

/**
 * Binds as `dn` with `password` on `connection`, asking for the password policy control. The
 * caller has checked the password is not empty: an empty one would be an unauthenticated bind,
 * which servers answer with success (RFC 4513 §5.1.2).
 */
export async function bindUser(connection: LdapConnection, dn: string, password: string): Promise<BindOutcome> {
  if (password.length === 0) throw new Error('refusing an unauthenticated bind');
  const policy = new PasswordPolicyControl();
  try {
    await connection.bind(dn, password, [policy]);
    return { ok: true, mustChange: policy.error === 'changeAfterReset' };
  } catch (error) {
    if (!(error instanceof ResultCodeError)) throw error;
    const detail = `${error.name} (${error.code})`;
    if (error instanceof InvalidCredentialsError) {
      const code = adDataCode(error.message);
      const adState = code === undefined ? undefined : AD_DATA_CODES[code];
      if (adState) return { ok: false, reason: 'state', state: adState, detail: `${detail} data ${code}` };
      // ppolicy evaluates expiry only after the password matched; it reports a lock for any password.
      if (policy.error === 'passwordExpired') return { ok: false, reason: 'state', state: 'password-expired', detail: `${detail} ppolicy passwordExpired` };
      return { ok: false, reason: 'invalid', detail: policy.error ? `${detail} ppolicy ${policy.error}` : code ? `${detail} data ${code}` : detail };
    }
    // Other refusals (389's "account inactivated", unwillingToPerform, …) are not proof of a right password.
    return { ok: false, reason: 'invalid', detail };
  }
}
