import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebAuthnFixture, HELLO, NOW, YUBIKEY, type WebAuthnFixture } from './testing/webauthn-fixture.js';

let t: WebAuthnFixture;
beforeEach(() => {
  t = createWebAuthnFixture();
});
afterEach(() => t.storage.close());

const bytes = (base64url: string) => Buffer.from(base64url, 'base64url');

describe('registrationOptions', () => {
  it('asks for a credential on the configured RP with a fresh 32-byte challenge and only ES256, EdDSA and RS256', async () => {
    const options = await t.service.registrationOptions({ username: 'alice', displayName: 'Alice Liddell', binding: 's1', now: NOW });
    expect(options.rp).toEqual({ id: 'login.example.com', name: 'Gatehouse' });
    expect(options.user).toMatchObject({ name: 'alice', displayName: 'Alice Liddell' });
    expect(bytes(options.challenge)).toHaveLength(32);
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -8, -257]);
    expect(options.pubKeyCredParams.every((p) => p.type === 'public-key')).toBe(true);
    expect(options.timeout).toBe(120_000);
    expect(options.attestation).toBe('none');
    expect(options.authenticatorSelection).toEqual({ residentKey: 'preferred', requireResidentKey: false, userVerification: 'preferred' });
    expect(options.excludeCredentials).toEqual([]);
    expect(options.extensions).toEqual({ credProps: true });
  });

  it('gives a new challenge each time and the same stable user handle', async () => {
    const a = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    const b = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    expect(a.challenge).not.toBe(b.challenge);
    expect(a.user.id).toBe(b.user.id);
    expect(bytes(a.user.id)).toHaveLength(32);
    expect(a.user.id).toBe(await t.storage.webauthnCredentials.userHandleFor('alice', () => 'unused'));
    expect((await t.service.registrationOptions({ username: 'bob', binding: 's2', now: NOW })).user.id).not.toBe(a.user.id);
  });

  it('defaults the display name to the username', async () => {
    expect((await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW })).user.displayName).toBe('alice');
  });

  it('takes authenticator selection, attestation and RP from config', async () => {
    const strict = createWebAuthnFixture({
      rp_id: 'example.com',
      rp_name: 'ACME sign-in',
      origins: ['https://login.example.com', 'https://sso.example.com'],
      user_verification: 'required',
      attestation: 'indirect',
      authenticator_attachment: 'cross-platform',
      resident_key: 'required',
      challenge_ttl: '30s',
    });
    const options = await strict.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    expect(options.rp).toEqual({ id: 'example.com', name: 'ACME sign-in' });
    expect(options.attestation).toBe('indirect');
    expect(options.timeout).toBe(30_000);
    expect(options.authenticatorSelection).toEqual({ residentKey: 'required', requireResidentKey: true, userVerification: 'required', authenticatorAttachment: 'cross-platform' });
    strict.storage.close();
  });

  it("excludes the user's own credentials, with their transports, and nobody else's", async () => {
    const key = t.authenticator({ transports: ['nfc', 'usb'] });
    const { result } = await t.register(key);
    await t.register(t.authenticator(), { username: 'bob' });
    const options = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    expect(result.ok && options.excludeCredentials).toEqual([{ id: result.ok && result.credential.id, transports: ['nfc', 'usb'], type: 'public-key' }]);
  });

  it.each(['', 'x'.repeat(513)])('refuses a binding of %j as a bug', async (binding) => {
    await expect(t.service.registrationOptions({ username: 'alice', binding, now: NOW })).rejects.toThrow(TypeError);
  });
});

describe('registration then sign-in', () => {
  it('stores a security key with everything the sign-in checks need', async () => {
    const key = t.authenticator({ aaguid: YUBIKEY, transports: ['usb', 'nfc', 'bogus'], userVerified: false });
    const { creation, result } = await t.register(key, { name: '  YubiKey 5  ', overrides: { residentKey: false } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.credential).toMatchObject({
      username: 'alice',
      userHandle: creation.user.id,
      counter: 0,
      transports: ['nfc', 'usb'],
      aaguid: YUBIKEY,
      backupEligible: false,
      backupState: false,
      userVerified: false,
      discoverable: false,
      name: 'YubiKey 5',
      createdAt: NOW,
      lastUsedAt: null,
    });
    expect(await t.storage.webauthnCredentials.get(result.credential.id)).toEqual(result.credential);
  });

  it('signs in with it as a second factor, moving the counter and the last use', async () => {
    const key = t.authenticator();
    const { result: registered } = await t.register(key);
    const credentialId = registered.ok ? registered.credential.id : '';
    t.clock.advance(5_000);
    const { request, result } = await t.signIn(key);
    expect(request.allowCredentials).toEqual([{ id: credentialId, transports: ['usb'], type: 'public-key' }]);
    expect(request.userVerification).toBe('preferred');
    expect(request.rpId).toBe('login.example.com');
    expect(result).toMatchObject({ ok: true, username: 'alice', userVerified: true, credential: { id: credentialId, counter: 1, lastUsedAt: NOW + 5_000 } });
    expect(await t.storage.webauthnCredentials.get(credentialId)).toMatchObject({ counter: 1, lastUsedAt: NOW + 5_000 });
    expect((await t.signIn(key)).result).toMatchObject({ ok: true, credential: { counter: 2 } });
  });

  it('signs in without a username with a synced passkey that keeps its counter at 0, recording its backup state', async () => {
    const passkey = t.authenticator({ aaguid: HELLO, transports: ['internal', 'hybrid'], backupEligible: true, backupState: false, counterStep: 0 });
    const { result: registered } = await t.register(passkey, { overrides: { residentKey: true } });
    expect(registered).toMatchObject({ ok: true, credential: { backupEligible: true, backupState: false, discoverable: true } });
    const { request, result } = await t.signIn(passkey, { passwordless: true, overrides: { flags: { bs: true } } });
    expect(request.allowCredentials).toEqual([]);
    expect(request.userVerification).toBe('required');
    expect(result).toMatchObject({ ok: true, username: 'alice', userVerified: true, credential: { counter: 0, backupState: true } });
    expect((await t.signIn(passkey, { passwordless: true })).result).toMatchObject({ ok: true, credential: { counter: 0, backupState: false } });
  });

  it.each(['EdDSA', 'RS256'] as const)('registers and signs in with %s', async (algorithm) => {
    const key = t.authenticator({ algorithm });
    expect((await t.register(key)).result.ok).toBe(true);
    expect((await t.signIn(key)).result).toMatchObject({ ok: true, username: 'alice' });
  });

  it('keeps several credentials per user and signs in with any of them', async () => {
    const first = t.authenticator();
    const second = t.authenticator();
    await t.register(first, { name: 'Key A' });
    t.clock.advance(1);
    await t.register(second, { name: 'Key B' });
    expect((await t.service.listCredentials('alice')).map((c) => c.name)).toEqual(['Key A', 'Key B']);
    expect((await t.signIn(second)).result.ok).toBe(true);
    expect((await t.signIn(first)).result.ok).toBe(true);
  });

  it('accepts the response as JSON text as well as parsed', async () => {
    const key = t.authenticator();
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = JSON.stringify(key.register(creation));
    expect((await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name: 'k', now: NOW })).ok).toBe(true);
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    expect((await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response: JSON.stringify(key.authenticate(request)), now: NOW })).ok).toBe(true);
  });
});

describe('credentials as the user sees them', () => {
  it('lists names with the allow-list model, renames and removes only their own', async () => {
    const f = createWebAuthnFixture({ aaguid_allowlist: [{ aaguid: YUBIKEY, name: 'YubiKey 5 Series' }] });
    const { result } = await f.register(f.authenticator({ aaguid: YUBIKEY }), { name: 'Desk key' });
    const { result: bobs } = await f.register(f.authenticator({ aaguid: YUBIKEY }), { username: 'bob' });
    const id = result.ok ? result.credential.id : '';
    const bobId = bobs.ok ? bobs.credential.id : '';
    expect(await f.service.listCredentials('alice')).toEqual([
      expect.objectContaining({ id, name: 'Desk key', model: 'YubiKey 5 Series', aaguid: YUBIKEY, transports: ['usb'], createdAt: NOW, lastUsedAt: null }),
    ]);
    expect(Object.keys((await f.service.listCredentials('alice'))[0]!)).not.toContain('publicKey');
    expect(await f.service.renameCredential('alice', id, ' Spare ')).toEqual({ ok: true });
    expect(await f.service.renameCredential('alice', id, '\u202Eyek')).toEqual({ ok: false, reason: 'invalid-name' });
    expect(await f.service.renameCredential('alice', bobId, 'mine now')).toEqual({ ok: false, reason: 'not-found' });
    expect(await f.service.removeCredential('alice', bobId)).toBe(false);
    expect(await f.service.removeCredential('alice', 'unknown')).toBe(false);
    expect((await f.service.listCredentials('alice'))[0]!.name).toBe('Spare');
    expect(await f.service.removeCredential('alice', id)).toBe(true);
    expect(await f.service.listCredentials('alice')).toEqual([]);
    expect(await f.service.listCredentials('bob')).toHaveLength(1);
    f.storage.close();
  });

  it('shows no model for an AAGUID the allow-list does not name', async () => {
    await t.register(t.authenticator({ aaguid: HELLO }));
    expect((await t.service.listCredentials('alice'))[0]!.model).toBeNull();
  });
});
