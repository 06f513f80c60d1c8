import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebAuthnCredential } from '../../storage/storage.js';
import type { Overrides, SoftAuthenticator } from './testing/soft-authenticator.js';
import { encodeAuthenticatorData } from './testing/soft-authenticator.js';
import { createWebAuthnFixture, HELLO, NOW, YUBIKEY, type WebAuthnFixture } from './testing/webauthn-fixture.js';

let t: WebAuthnFixture;
let key: SoftAuthenticator;
let stored: WebAuthnCredential;

async function enrol(f: WebAuthnFixture, device: SoftAuthenticator, username = 'alice'): Promise<WebAuthnCredential> {
  const { result } = await f.register(device, { username });
  if (!result.ok) throw new Error(`registration failed: ${result.reason}`);
  return result.credential;
}

beforeEach(async () => {
  t = createWebAuthnFixture();
  key = t.authenticator();
  stored = await enrol(t, key);
});
afterEach(() => t.storage.close());

/** Nothing about the credential moved: the refusal left no trace in storage. */
const unchanged = async (f: WebAuthnFixture = t, credential: WebAuthnCredential = stored) => {
  expect(await f.storage.webauthnCredentials.get(credential.id)).toEqual(credential);
};

const cloneWarnings = (f: WebAuthnFixture = t) => f.lines.filter((l) => l.event === 'webauthn.clone_warning');

describe('verifyAuthentication refuses what the browser or authenticator got wrong', () => {
  it.each<[string, Overrides, string]>([
    ['another site', { origin: 'https://evil.example' }, 'wrong-origin'],
    ['the http variant', { origin: 'http://login.example.com' }, 'wrong-origin'],
    ['another port', { origin: 'https://login.example.com:444' }, 'wrong-origin'],
    ['a suffix look-alike', { origin: 'https://login.example.com.evil.example' }, 'wrong-origin'],
    ['a trailing slash', { origin: 'https://login.example.com/' }, 'wrong-origin'],
    ['an iframe', { crossOrigin: true }, 'wrong-origin'],
    ['a top origin', { topOrigin: 'https://login.example.com' }, 'wrong-origin'],
    ['another RP ID', { rpId: 'evil.example' }, 'wrong-rp-id'],
    ['the parent domain as RP ID', { rpId: 'example.com' }, 'wrong-rp-id'],
    ['a registration answer type', { type: 'webauthn.create' }, 'wrong-type'],
    ['another challenge', { challenge: randomBytes(32).toString('base64url') }, 'challenge-mismatch'],
    ['no user presence', { flags: { up: false } }, 'user-presence-required'],
    ['backed up but not backup eligible', { flags: { be: false, bs: true } }, 'backup-flags'],
    ['backup eligible now but not at registration', { flags: { be: true, bs: false } }, 'backup-flags'],
    ['another user’s handle', { userHandle: randomBytes(32).toString('base64url') }, 'user-handle-mismatch'],
    ['another key’s signature', { signWith: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }, 'verification-failed'],
  ])('%s → %s, nothing recorded', async (_name, overrides, reason) => {
    const { result } = await t.signIn(key, { overrides });
    expect(result).toEqual({ ok: false, reason });
    await unchanged();
    expect(cloneWarnings()).toEqual([]);
  });

  it('requires user verification when configured, and always without a username', async () => {
    const lax = t.authenticator({ userVerified: false });
    await enrol(t, lax, 'carol');
    expect((await t.signIn(lax, { username: 'carol' })).result).toMatchObject({ ok: true, userVerified: false });
    expect((await t.signIn(lax, { passwordless: true })).result).toEqual({ ok: false, reason: 'user-verification-required' });

    const strict = createWebAuthnFixture({ user_verification: 'required' }, { storage: t.storage });
    expect((await strict.signIn(lax, { username: 'carol' })).result).toEqual({ ok: false, reason: 'user-verification-required' });
    expect((await strict.signIn(key, { overrides: { flags: { uv: false } } })).result).toEqual({ ok: false, reason: 'user-verification-required' });
    await unchanged();
    expect((await strict.signIn(key)).result.ok).toBe(true);
  });

  it('refuses BE cleared on a credential registered as backup eligible', async () => {
    const passkey = t.authenticator({ backupEligible: true, backupState: true, counterStep: 0 });
    const credential = await enrol(t, passkey, 'dave');
    expect((await t.signIn(passkey, { username: 'dave', overrides: { flags: { be: false, bs: false } } })).result).toEqual({ ok: false, reason: 'backup-flags' });
    await unchanged(t, credential);
  });

  it("refuses another user's credential as a second factor", async () => {
    const bobsKey = t.authenticator();
    const bobs = await enrol(t, bobsKey, 'bob');
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = bobsKey.authenticate({ ...request, allowCredentials: [{ id: bobs.id, type: 'public-key' }] });
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response, now: NOW })).toEqual({ ok: false, reason: 'wrong-user' });
    await unchanged(t, bobs);
  });

  it('refuses a credential it never registered', async () => {
    const stranger = t.authenticator();
    stranger.register(await t.service.registrationOptions({ username: 'alice', binding: 'x', now: NOW }));
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = stranger.authenticate({ ...request, allowCredentials: [] });
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response, now: NOW })).toEqual({ ok: false, reason: 'unknown-credential' });
  });

  it("refuses a passkey sign-in whose user handle is missing, unknown or another user's", async () => {
    const bobs = await enrol(t, t.authenticator(), 'bob');
    for (const userHandle of [null, randomBytes(32).toString('base64url'), bobs.userHandle]) {
      expect((await t.signIn(key, { passwordless: true, overrides: { userHandle } })).result).toEqual({ ok: false, reason: 'user-handle-mismatch' });
    }
    await unchanged();
    expect((await t.signIn(key, { passwordless: true })).result).toMatchObject({ ok: true, username: 'alice' });
  });

  it('accepts a second factor without a user handle (security keys often send none)', async () => {
    expect((await t.signIn(key, { overrides: { userHandle: null } })).result).toMatchObject({ ok: true, username: 'alice' });
  });

  it('refuses authenticator data changed after signing', async () => {
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = key.authenticate(request);
    const tampered = encodeAuthenticatorData({ rpId: 'login.example.com', flags: { up: true, uv: true, be: false, bs: false }, counter: 1000 });
    const result = await t.service.verifyAuthentication({
      username: 'alice',
      binding: 's1',
      now: NOW,
      response: { ...response, response: { ...response.response, authenticatorData: tampered.toString('base64url') } },
    });
    expect(result).toEqual({ ok: false, reason: 'verification-failed' });
    await unchanged();
  });

  it('re-applies a tightened config to credentials registered before it', async () => {
    const passkey = t.authenticator({ backupEligible: true, aaguid: HELLO });
    const credential = await enrol(t, passkey, 'erin');
    const noSync = createWebAuthnFixture({ allow_synced: false }, { storage: t.storage });
    expect((await noSync.signIn(passkey, { username: 'erin' })).result).toEqual({ ok: false, reason: 'synced-not-allowed' });
    const onlyYubiKeys = createWebAuthnFixture({ aaguid_allowlist: [{ aaguid: YUBIKEY, name: 'YubiKey' }] }, { storage: t.storage });
    expect((await onlyYubiKeys.signIn(passkey, { username: 'erin' })).result).toEqual({ ok: false, reason: 'aaguid-not-allowed' });
    await unchanged(t, credential);
  });
});

describe('verifyAuthentication and the signature counter', () => {
  it.each([
    ['went backwards', 3, 2],
    ['stayed the same', 3, 3],
    ['fell to 0', 3, 0],
  ])('refuses a counter that %s, with a clone warning in the audit log', async (_name, reached, presented) => {
    for (let i = 0; i < reached; i++) expect((await t.signIn(key)).result.ok).toBe(true);
    const before = await t.storage.webauthnCredentials.get(stored.id);
    expect(before!.counter).toBe(reached);
    expect((await t.signIn(key, { overrides: { counter: presented } })).result).toEqual({ ok: false, reason: 'counter-regression' });
    expect(await t.storage.webauthnCredentials.get(stored.id)).toEqual(before);
    expect(cloneWarnings()).toEqual([expect.objectContaining({ level: 'warn', username: 'alice', credential: stored.id, storedCounter: reached, receivedCounter: presented })]);
    const events = await t.storage.auditEvents.query({ kind: 'webauthn.clone_warning', limit: 10 });
    expect(events).toEqual([
      expect.objectContaining({
        subject: 'alice',
        result: 'failure',
        details: expect.objectContaining({ credential: stored.id, storedCounter: reached, receivedCounter: presented }),
      }),
    ]);
  });

  it('accepts a counter that stays 0 every time', async () => {
    const passkey = t.authenticator({ counterStep: 0 });
    const credential = await enrol(t, passkey, 'frank');
    for (let i = 0; i < 3; i++) expect((await t.signIn(passkey, { username: 'frank' })).result).toMatchObject({ ok: true, credential: { counter: 0 } });
    expect((await t.storage.webauthnCredentials.get(credential.id))!.counter).toBe(0);
    expect(cloneWarnings()).toEqual([]);
  });

  it('accepts a counter that jumps ahead', async () => {
    expect((await t.signIn(key, { overrides: { counter: 500 } })).result).toMatchObject({ ok: true, credential: { counter: 500 } });
    expect((await t.signIn(key, { overrides: { counter: 501 } })).result.ok).toBe(true);
  });

  it('raises no clone warning for a forged answer with a low counter', async () => {
    await t.signIn(key);
    await t.signIn(key);
    const forged = { counter: 1, signWith: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey };
    expect((await t.signIn(key, { overrides: forged })).result).toEqual({ ok: false, reason: 'verification-failed' });
    expect(cloneWarnings()).toEqual([]);
  });

  it('lets one of two racing sign-ins with the same stored counter win', async () => {
    const one = await t.service.authenticationOptions({ username: 'alice', binding: 'tab-1', now: NOW });
    const two = await t.service.authenticationOptions({ username: 'alice', binding: 'tab-2', now: NOW });
    const [a, b] = [key.authenticate(one), key.authenticate(two)];
    const results = await Promise.all([
      t.service.verifyAuthentication({ username: 'alice', binding: 'tab-1', response: a, now: NOW }),
      t.service.verifyAuthentication({ username: 'alice', binding: 'tab-2', response: b, now: NOW }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, reason: expect.stringMatching(/^(concurrent-use|counter-regression)$/) });
  });
});

describe('verifyAuthentication and its challenge', () => {
  it('uses a challenge once: the same assertion again is refused', async () => {
    const { response, result } = await t.signIn(key, { binding: 's1' });
    expect(result.ok).toBe(true);
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response, now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
    expect((await t.storage.webauthnCredentials.get(stored.id))!.counter).toBe(1);
  });

  it('refuses an old assertion after a new challenge was asked for', async () => {
    const old = key.authenticate(await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW }));
    await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response: old, now: NOW })).toEqual({ ok: false, reason: 'challenge-mismatch' });
    await unchanged();
  });

  it('refuses an expired challenge', async () => {
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    t.clock.advance(120_000);
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response: key.authenticate(request), now: t.clock.now() })).toEqual({
      ok: false,
      reason: 'challenge-expired',
    });
    await unchanged();
  });

  it("refuses another session's challenge, and leaves that session's usable", async () => {
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 'session-A', now: NOW });
    const response = key.authenticate(request);
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 'session-B', response, now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
    await unchanged();
    expect((await t.service.verifyAuthentication({ username: 'alice', binding: 'session-A', response, now: NOW })).ok).toBe(true);
  });

  it.each([
    ['a second-factor challenge for a passkey sign-in', 'alice', undefined],
    ['a passkey challenge for a second factor', undefined, 'alice'],
    ["another user's challenge", 'bob', 'alice'],
  ])('refuses %s', async (_name, askedFor, presentedFor) => {
    const request = await t.service.authenticationOptions({ username: askedFor, binding: 's1', now: NOW });
    const response = key.authenticate({ ...request, allowCredentials: [] });
    expect(await t.service.verifyAuthentication({ username: presentedFor, binding: 's1', response, now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
    await unchanged();
  });

  it('refuses a registration challenge presented at sign-in', async () => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = key.authenticate({ challenge: creation.challenge, rpId: 'login.example.com' });
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response, now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
  });
});

describe('verifyAuthentication refuses malformed and oversized answers without throwing', () => {
  const withResponse = (r: AuthenticationResponseJSON, patch: Partial<AuthenticationResponseJSON['response']>) => ({ ...r, response: { ...r.response, ...patch } });
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

  it.each<[string, (r: AuthenticationResponseJSON) => unknown, string]>([
    ['text that is not JSON', () => '{', 'malformed'],
    ['a boolean', () => true, 'malformed'],
    ['an empty object', () => ({}), 'malformed'],
    ['id and rawId differing', (r) => ({ ...r, rawId: b64(randomBytes(16)) }), 'malformed'],
    ['a padded id', (r) => ({ ...r, id: `${r.id}==`, rawId: `${r.id}==` }), 'malformed'],
    ['no signature', (r) => withResponse(r, { signature: undefined as never }), 'malformed'],
    ['a signature not base64url', (r) => withResponse(r, { signature: 'ab/cd+==' }), 'malformed'],
    ['a 2 KB signature', (r) => withResponse(r, { signature: b64(randomBytes(2048)) }), 'malformed'],
    ['a garbage signature', (r) => withResponse(r, { signature: b64(randomBytes(72)) }), 'verification-failed'],
    ['a truncated signature', (r) => withResponse(r, { signature: r.response.signature.slice(0, 20) }), 'verification-failed'],
    ['a 65-byte user handle', (r) => withResponse(r, { userHandle: b64(randomBytes(65)) }), 'malformed'],
    ['a numeric user handle', (r) => withResponse(r, { userHandle: 5 as never }), 'malformed'],
    ['authenticatorData of 36 bytes', (r) => withResponse(r, { authenticatorData: b64(randomBytes(36)) }), 'malformed'],
    [
      'authenticatorData with trailing bytes',
      (r) => withResponse(r, { authenticatorData: b64(Buffer.concat([Buffer.from(r.response.authenticatorData, 'base64url'), Buffer.from([1, 2, 3])])) }),
      'malformed',
    ],
    [
      'authenticatorData claiming extensions it lacks',
      (r) => {
        const data = Buffer.from(r.response.authenticatorData, 'base64url');
        data[32]! |= 0x80;
        return withResponse(r, { authenticatorData: b64(data) });
      },
      'malformed',
    ],
    [
      'authenticatorData claiming a broken attested credential',
      (r) => {
        const data = Buffer.from(r.response.authenticatorData, 'base64url');
        data[32]! |= 0x40;
        return withResponse(r, { authenticatorData: b64(data) });
      },
      'malformed',
    ],
    ['clientDataJSON not JSON', (r) => withResponse(r, { clientDataJSON: b64(Buffer.from('nope')) }), 'malformed'],
    [
      'clientDataJSON with a numeric origin',
      (r) => withResponse(r, { clientDataJSON: b64(Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: 'x', origin: 1 }))) }),
      'malformed',
    ],
    ['65 KB of JSON text', (r) => JSON.stringify({ ...r, padding: 'x'.repeat(65 * 1024) }), 'too-large'],
    ['65 KB already parsed', (r) => withResponse(r, { padding: 'x'.repeat(65 * 1024) } as never), 'too-large'],
  ])('%s → %s', async (_name, mutate, reason) => {
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = key.authenticate(request);
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response: mutate(response), now: NOW })).toEqual({ ok: false, reason });
    await unchanged();
  });

  it('refuses a registration response presented at sign-in', async () => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 'reg', now: NOW });
    const registration = t.authenticator().register(creation);
    await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response: registration, now: NOW })).toEqual({ ok: false, reason: 'malformed' });
    // Dressed up with a signature, its clientDataJSON still says webauthn.create.
    const dressed = { ...registration, response: { ...registration.response, authenticatorData: registration.response.attestationObject, signature: b64(randomBytes(70)) } };
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    const withChallenge = {
      ...dressed,
      response: {
        ...dressed.response,
        clientDataJSON: b64(Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: request.challenge, origin: 'https://login.example.com' }))),
      },
    };
    expect(await t.service.verifyAuthentication({ username: 'alice', binding: 's1', response: withChallenge, now: NOW })).toEqual({ ok: false, reason: 'wrong-type' });
    await unchanged();
  });
});
