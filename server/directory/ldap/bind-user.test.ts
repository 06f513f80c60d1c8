import { InvalidCredentialsError, UnwillingToPerformError, type Control } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { DirectoryUnavailableError } from '../../core/errors.js';
import { adDataCode, bindUser } from './bind-user.js';
import type { LdapConnection } from './ldap-connection.js';
import { parsePasswordPolicyResponse, PasswordPolicyControl } from './password-policy-control.js';

/** A connection whose bind answers as a server would: an error, and a policy control response. */
function answering(options: { error?: Error; policy?: Buffer }): LdapConnection & { binds: Array<{ dn: string; password: string }> } {
  const binds: Array<{ dn: string; password: string }> = [];
  return {
    url: 'ldaps://dc.test',
    usable: true,
    binds,
    search: async () => ({ searchEntries: [], searchReferences: [] }),
    async bind(dn: string, password: string, controls?: Control[]) {
      binds.push({ dn, password });
      const policy = controls?.find((c) => c instanceof PasswordPolicyControl);
      if (policy && options.policy) (policy as unknown as { parseControl(r: { buffer: Buffer }): void }).parseControl({ buffer: options.policy });
      if (options.error) throw options.error;
    },
    close: () => undefined,
  };
}

const adError = (data: string) => new InvalidCredentialsError(`80090308: LdapErr: DSID-0C09042F, comment: AcceptSecurityContext error, data ${data}, v4563`);
const POLICY = {
  none: Buffer.from([0x30, 0x00]),
  expired: Buffer.from([0x30, 0x03, 0x81, 0x01, 0x00]),
  locked: Buffer.from([0x30, 0x03, 0x81, 0x01, 0x01]),
  changeAfterReset: Buffer.from([0x30, 0x03, 0x81, 0x01, 0x02]),
  warning: Buffer.from([0x30, 0x05, 0xa0, 0x03, 0x80, 0x01, 0x3c]),
  warningAndError: Buffer.from([0x30, 0x08, 0xa0, 0x03, 0x81, 0x01, 0x02, 0x81, 0x01, 0x00]),
};

describe('bindUser', () => {
  it('passes on success, and reports a reset password from the policy control', async () => {
    expect(await bindUser(answering({}), 'cn=a', 'pw')).toEqual({ ok: true, mustChange: false });
    expect(await bindUser(answering({ policy: POLICY.changeAfterReset }), 'cn=a', 'pw')).toEqual({ ok: true, mustChange: true });
    expect(await bindUser(answering({ policy: POLICY.warning }), 'cn=a', 'pw')).toEqual({ ok: true, mustChange: false });
  });

  it.each([
    ['532', 'password-expired'],
    ['773', 'password-must-change'],
    ['701', 'account-expired'],
    ['533', 'account-disabled'],
  ])('turns AD data %s into %s (AD sends it only for a right password)', async (code, state) => {
    expect(await bindUser(answering({ error: adError(code) }), 'cn=a', 'pw')).toMatchObject({ ok: false, reason: 'state', state });
  });

  // 775 (locked out) comes for any password, right or wrong: it must look like a wrong one.
  it.each(['52e', '775', '525', '530', '531', '568', '80090308', 'zzz'])('treats AD data %s as a wrong password', async (code) => {
    expect(await bindUser(answering({ error: adError(code) }), 'cn=a', 'pw')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('treats ppolicy accountLocked as a wrong password (slapd reports it for any password), passwordExpired as expired', async () => {
    expect(await bindUser(answering({ error: new InvalidCredentialsError(), policy: POLICY.locked }), 'cn=a', 'pw')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await bindUser(answering({ error: new InvalidCredentialsError(), policy: POLICY.expired }), 'cn=a', 'pw')).toMatchObject({
      ok: false,
      reason: 'state',
      state: 'password-expired',
    });
    expect(await bindUser(answering({ error: new InvalidCredentialsError(), policy: POLICY.none }), 'cn=a', 'pw')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('treats other refusals as a wrong password, and outages as outages', async () => {
    expect(await bindUser(answering({ error: new UnwillingToPerformError('Account inactivated. Contact system administrator.') }), 'cn=a', 'pw')).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    await expect(bindUser(answering({ error: new DirectoryUnavailableError('gone') }), 'cn=a', 'pw')).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('never makes an unauthenticated bind', async () => {
    const connection = answering({});
    await expect(bindUser(connection, 'cn=a', '')).rejects.toThrow(/unauthenticated/);
    expect(connection.binds).toEqual([]);
  });
});

describe('adDataCode', () => {
  it('reads the sub-code, and nothing from messages without one', () => {
    expect(adDataCode('AcceptSecurityContext error, data 773, v4563')).toBe('773');
    expect(adDataCode('AcceptSecurityContext error, data 52E, v893')).toBe('52e');
    expect(adDataCode('Invalid credentials Code: 0x31')).toBeUndefined();
  });
});

describe('parsePasswordPolicyResponse', () => {
  it('reads the error, and ignores warnings and junk', () => {
    expect(parsePasswordPolicyResponse(POLICY.expired)).toEqual({ error: 'passwordExpired' });
    expect(parsePasswordPolicyResponse(POLICY.warningAndError)).toEqual({ error: 'passwordExpired' });
    expect(parsePasswordPolicyResponse(POLICY.warning)).toEqual({});
    for (const junk of [
      Buffer.alloc(0),
      Buffer.from([0x30]),
      Buffer.from([0x30, 0x05, 0x81]),
      Buffer.from([0x04, 0x00]),
      Buffer.from([0x30, 0x03, 0x81, 0x01, 0x7f]),
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
    ]) {
      expect(parsePasswordPolicyResponse(junk)).toEqual({});
    }
  });
});
