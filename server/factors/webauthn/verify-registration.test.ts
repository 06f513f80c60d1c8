import { randomBytes } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Overrides } from './testing/soft-authenticator.js';
import { encodeAuthenticatorData } from './testing/soft-authenticator.js';
import { createWebAuthnFixture, HELLO, NOW, YUBIKEY, type WebAuthnFixture } from './testing/webauthn-fixture.js';

let t: WebAuthnFixture;
beforeEach(() => {
  t = createWebAuthnFixture();
});
afterEach(() => t.storage.close());

const nothingStored = async (f: WebAuthnFixture = t) => {
  expect(await f.service.listCredentials('alice')).toEqual([]);
  expect(await f.service.listCredentials('bob')).toEqual([]);
};

const b64 = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');
const attestation = (entries: [string, unknown][]) => b64(isoCBOR.encode(new Map(entries as never)));

describe('verifyRegistration refuses what the browser or authenticator got wrong', () => {
  it.each<[string, Overrides, string]>([
    ['another site', { origin: 'https://evil.example' }, 'wrong-origin'],
    ['the http variant', { origin: 'http://login.example.com' }, 'wrong-origin'],
    ['another port', { origin: 'https://login.example.com:8443' }, 'wrong-origin'],
    ['a suffix look-alike', { origin: 'https://login.example.com.evil.example' }, 'wrong-origin'],
    ['a subdomain not configured', { origin: 'https://sub.login.example.com' }, 'wrong-origin'],
    ['a trailing slash', { origin: 'https://login.example.com/' }, 'wrong-origin'],
    ['upper case', { origin: 'https://LOGIN.example.com' }, 'wrong-origin'],
    ['an opaque origin', { origin: 'null' }, 'wrong-origin'],
    ['an iframe', { crossOrigin: true }, 'wrong-origin'],
    ['a top origin', { topOrigin: 'https://evil.example' }, 'wrong-origin'],
    ['another RP ID', { rpId: 'evil.example' }, 'wrong-rp-id'],
    ['the parent domain as RP ID', { rpId: 'example.com' }, 'wrong-rp-id'],
    ['a trailing-dot RP ID', { rpId: 'login.example.com.' }, 'wrong-rp-id'],
    ['a sign-in answer', { type: 'webauthn.get' }, 'wrong-type'],
    ['another ceremony type', { type: 'payment.get' }, 'wrong-type'],
    ['another challenge', { challenge: randomBytes(32).toString('base64url') }, 'challenge-mismatch'],
    ['no user presence', { flags: { up: false } }, 'user-presence-required'],
    ['backed up but not backup eligible', { flags: { be: false, bs: true } }, 'backup-flags'],
    ['an id other than the attested one', { reportedId: randomBytes(16).toString('base64url') }, 'malformed'],
  ])('%s → %s, nothing stored', async (_name, overrides, reason) => {
    const { result } = await t.register(t.authenticator(), { overrides });
    expect(result).toEqual({ ok: false, reason });
    await nothingStored();
  });

  it('requires user verification only when configured', async () => {
    expect((await t.register(t.authenticator({ userVerified: false }))).result.ok).toBe(true);
    const strict = createWebAuthnFixture({ user_verification: 'required' });
    expect((await strict.register(strict.authenticator({ userVerified: false }))).result).toEqual({ ok: false, reason: 'user-verification-required' });
    await nothingStored(strict);
    expect((await strict.register(strict.authenticator({ userVerified: true }))).result.ok).toBe(true);
    strict.storage.close();
  });

  it('refuses a synced (backup-eligible) passkey when synced passkeys are not allowed', async () => {
    const f = createWebAuthnFixture({ allow_synced: false });
    for (const backupState of [false, true]) {
      expect((await f.register(f.authenticator({ backupEligible: true, backupState }))).result).toEqual({ ok: false, reason: 'synced-not-allowed' });
    }
    await nothingStored(f);
    expect((await f.register(f.authenticator({ backupEligible: false }))).result.ok).toBe(true);
    f.storage.close();
  });

  it('takes only the AAGUIDs on the allow-list, when there is one', async () => {
    const f = createWebAuthnFixture({ aaguid_allowlist: [{ aaguid: YUBIKEY, name: 'YubiKey 5' }] });
    for (const aaguid of [HELLO, '00000000-0000-0000-0000-000000000000', YUBIKEY.replace(/a8$/, 'a9')]) {
      expect((await f.register(f.authenticator({ aaguid }))).result).toEqual({ ok: false, reason: 'aaguid-not-allowed' });
    }
    await nothingStored(f);
    expect((await f.register(f.authenticator({ aaguid: YUBIKEY }))).result.ok).toBe(true);
    f.storage.close();
  });

  it('refuses an algorithm it did not offer (ES384)', async () => {
    expect((await t.register(t.authenticator({ algorithm: 'ES384' }))).result).toEqual({ ok: false, reason: 'unsupported-algorithm' });
    await nothingStored();
  });

  it('refuses a credential id registered already, to the same user or another', async () => {
    const attestedId = randomBytes(16);
    expect((await t.register(t.authenticator(), { overrides: { attestedId } })).result.ok).toBe(true);
    expect((await t.register(t.authenticator(), { overrides: { attestedId } })).result).toEqual({ ok: false, reason: 'duplicate' });
    expect((await t.register(t.authenticator(), { username: 'bob', overrides: { attestedId } })).result).toEqual({ ok: false, reason: 'duplicate' });
    expect(await t.service.listCredentials('alice')).toHaveLength(1);
    expect(await t.service.listCredentials('bob')).toEqual([]);
  });

  it('refuses a credential id longer than 1023 bytes', async () => {
    expect((await t.register(t.authenticator(), { overrides: { attestedId: randomBytes(1024) } })).result).toEqual({ ok: false, reason: 'malformed' });
    expect((await t.register(t.authenticator(), { overrides: { attestedId: randomBytes(1023) } })).result.ok).toBe(true);
  });
});

describe('verifyRegistration and its challenge', () => {
  it('uses a challenge once: the same answer again is refused', async () => {
    const key = t.authenticator();
    const { response } = await t.register(key, { binding: 's1' });
    expect(await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name: 'again', now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
    expect(await t.service.listCredentials('alice')).toHaveLength(1);
  });

  it('refuses an old answer after a new challenge was asked for', async () => {
    const key = t.authenticator();
    const old = key.register(await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW }));
    await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    expect(await t.service.verifyRegistration({ username: 'alice', binding: 's1', response: old, name: 'k', now: NOW })).toEqual({ ok: false, reason: 'challenge-mismatch' });
    await nothingStored();
  });

  it.each([
    ['the store forgot it', 120_000, 0],
    ['the caller’s clock says it is over, though the store still has it', 0, 120_000],
  ])('refuses an expired challenge (%s)', async (_name, storeAdvance, callerAdvance) => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = t.authenticator().register(creation);
    t.clock.advance(storeAdvance);
    const result = await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name: 'k', now: NOW + storeAdvance + callerAdvance });
    expect(result).toEqual({ ok: false, reason: 'challenge-expired' });
    await nothingStored();
  });

  it('accepts an answer just before the challenge expires', async () => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    t.clock.advance(119_999);
    const response = t.authenticator().register(creation);
    expect((await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name: 'k', now: NOW + 119_999 })).ok).toBe(true);
  });

  it("refuses another session's challenge, and leaves that session's challenge usable", async () => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 'session-A', now: NOW });
    const response = t.authenticator().register(creation);
    expect(await t.service.verifyRegistration({ username: 'alice', binding: 'session-B', response, name: 'k', now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
    await nothingStored();
    expect((await t.service.verifyRegistration({ username: 'alice', binding: 'session-A', response, name: 'k', now: NOW })).ok).toBe(true);
  });

  it('refuses a challenge issued for another user, and spends it', async () => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = t.authenticator().register(creation);
    expect(await t.service.verifyRegistration({ username: 'bob', binding: 's1', response, name: 'k', now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
    expect(await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name: 'k', now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
    await nothingStored();
  });

  it('refuses a sign-in challenge presented for registration', async () => {
    const request = await t.service.authenticationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = t.authenticator().register({ ...(await t.service.registrationOptions({ username: 'alice', binding: 'other', now: NOW })), challenge: request.challenge });
    expect(await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name: 'k', now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
  });

  it('notices a factor reset between the options and the answer', async () => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    await t.storage.userState.resetUser('alice');
    const response = t.authenticator().register(creation);
    // The authenticator holds a handle that is no longer the user's: a passkey made now would name nobody.
    expect(await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name: 'k', now: NOW })).toEqual({ ok: false, reason: 'challenge-expired' });
    await nothingStored();
  });
});

describe('verifyRegistration names', () => {
  it.each([
    ['empty', ''],
    ['blank', '   \t '],
    ['too long', 'k'.repeat(65)],
    ['NUL', 'key\u0000'],
    ['a newline', 'key\nline'],
    ['a bidi override', 'key\u202Egnp.exe'],
    ['a zero-width space', 'ke\u200By'],
    ['a line separator', 'ke\u2028y'],
    ['a lone surrogate', 'key\uD800'],
    ['not a string', 42],
    ['null', null],
  ])('refuses a name that is %s before spending the challenge', async (_name, name) => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    const response = t.authenticator().register(creation);
    expect(await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name, now: NOW })).toEqual({ ok: false, reason: 'invalid-name' });
    await nothingStored();
    expect(await t.service.verifyRegistration({ username: 'alice', binding: 's1', response, name: 'Fixed', now: NOW })).toMatchObject({ ok: true, credential: { name: 'Fixed' } });
  });

  it.each([
    ['  padded  ', 'padded'],
    ['k'.repeat(64), 'k'.repeat(64)],
    ['🔑'.repeat(64), '🔑'.repeat(64)],
    ['Cafe\u0301', 'Café'],
    ['鑰匙 YubiKey', '鑰匙 YubiKey'],
  ])('stores %j as %j', async (name, stored) => {
    const { result } = await t.register(t.authenticator(), { name });
    expect(result).toMatchObject({ ok: true, credential: { name: stored } });
  });
});

describe('verifyRegistration refuses malformed and oversized answers without throwing', () => {
  const valid = async () => {
    const creation = await t.service.registrationOptions({ username: 'alice', binding: 's1', now: NOW });
    return { creation, response: t.authenticator().register(creation) as RegistrationResponseJSON };
  };
  const withResponse = (r: RegistrationResponseJSON, patch: Partial<RegistrationResponseJSON['response']>) => ({ ...r, response: { ...r.response, ...patch } });
  const authData = (rpId = 'login.example.com') => encodeAuthenticatorData({ rpId, flags: { up: true, uv: true, be: false, bs: false }, counter: 0 });

  it.each<[string, (r: RegistrationResponseJSON) => unknown, string]>([
    ['text that is not JSON', () => '{"id": ', 'malformed'],
    ['JSON null', () => 'null', 'malformed'],
    ['a number', () => 42, 'malformed'],
    ['undefined', () => undefined, 'malformed'],
    ['an array', (r) => [r], 'malformed'],
    ['an empty object', () => ({}), 'malformed'],
    ['no response', (r) => ({ ...r, response: undefined }), 'malformed'],
    ['id and rawId differing', (r) => ({ ...r, rawId: b64(randomBytes(16)) }), 'malformed'],
    ['an empty id', (r) => ({ ...r, id: '', rawId: '' }), 'malformed'],
    ['a padded id', (r) => ({ ...r, id: r.id + '=', rawId: r.id + '=' }), 'malformed'],
    ['a standard-base64 id', (r) => ({ ...r, id: r.id.replace(/^./, '+'), rawId: r.id.replace(/^./, '+') }), 'malformed'],
    ['a non-canonical id', (r) => ({ ...r, id: 'AB', rawId: 'AB' }), 'malformed'],
    ['type private-key', (r) => ({ ...r, type: 'private-key' }), 'malformed'],
    ['clientDataJSON not base64url', (r) => withResponse(r, { clientDataJSON: 'not base64!' }), 'malformed'],
    ['clientDataJSON not JSON', (r) => withResponse(r, { clientDataJSON: b64(Buffer.from('{type')) }), 'malformed'],
    ['clientDataJSON not UTF-8', (r) => withResponse(r, { clientDataJSON: b64(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])) }), 'malformed'],
    [
      'clientDataJSON without a challenge',
      (r) => withResponse(r, { clientDataJSON: b64(Buffer.from(JSON.stringify({ type: 'webauthn.create', origin: 'https://login.example.com' }))) }),
      'malformed',
    ],
    ['clientDataJSON an array', (r) => withResponse(r, { clientDataJSON: b64(Buffer.from('[]')) }), 'malformed'],
    ['attestationObject random bytes', (r) => withResponse(r, { attestationObject: b64(randomBytes(64)) }), 'malformed'],
    ['attestationObject a CBOR integer', (r) => withResponse(r, { attestationObject: b64(isoCBOR.encode(7)) }), 'malformed'],
    ['attestationObject truncated', (r) => withResponse(r, { attestationObject: r.response.attestationObject.slice(0, 40) }), 'malformed'],
    [
      'attestationObject without authData',
      (r) =>
        withResponse(r, {
          attestationObject: attestation([
            ['fmt', 'none'],
            ['attStmt', new Map()],
          ]),
        }),
      'malformed',
    ],
    [
      'authData a string',
      (r) =>
        withResponse(r, {
          attestationObject: attestation([
            ['fmt', 'none'],
            ['attStmt', new Map()],
            ['authData', 'x'],
          ]),
        }),
      'malformed',
    ],
    [
      'authData too short',
      (r) =>
        withResponse(r, {
          attestationObject: attestation([
            ['fmt', 'none'],
            ['attStmt', new Map()],
            ['authData', new Uint8Array(36)],
          ]),
        }),
      'malformed',
    ],
    [
      'authData without attested credential data',
      (r) =>
        withResponse(r, {
          attestationObject: attestation([
            ['fmt', 'none'],
            ['attStmt', new Map()],
            ['authData', authData()],
          ]),
        }),
      'malformed',
    ],
    [
      'authData with trailing bytes',
      (r) => {
        const decoded = isoCBOR.decodeFirst<Map<string, Uint8Array>>(Buffer.from(r.response.attestationObject, 'base64url'));
        return withResponse(r, {
          attestationObject: attestation([
            ['fmt', 'none'],
            ['attStmt', new Map()],
            ['authData', Buffer.concat([decoded.get('authData')!, Buffer.from([0, 1])])],
          ]),
        });
      },
      'malformed',
    ],
    ['CBOR nested 20000 deep', (r) => withResponse(r, { attestationObject: b64(Buffer.alloc(20000, 0x81)) }), 'malformed'],
    ['CBOR claiming 2^64 items', (r) => withResponse(r, { attestationObject: b64(Buffer.from([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])) }), 'malformed'],
    ['CBOR claiming a 4 GB byte string', (r) => withResponse(r, { attestationObject: b64(Buffer.from([0x5a, 0xff, 0xff, 0xff, 0xff])) }), 'malformed'],
    [
      'a "packed" statement with a bad signature',
      (r) => {
        const decoded = isoCBOR.decodeFirst<Map<string, Uint8Array>>(Buffer.from(r.response.attestationObject, 'base64url'));
        return withResponse(r, {
          attestationObject: attestation([
            ['fmt', 'packed'],
            [
              'attStmt',
              new Map<string, unknown>([
                ['alg', -7],
                ['sig', new Uint8Array(randomBytes(70))],
              ]),
            ],
            ['authData', decoded.get('authData')!],
          ]),
        });
      },
      'verification-failed',
    ],
    [
      '"none" with a statement',
      (r) => {
        const decoded = isoCBOR.decodeFirst<Map<string, Uint8Array>>(Buffer.from(r.response.attestationObject, 'base64url'));
        return withResponse(r, {
          attestationObject: attestation([
            ['fmt', 'none'],
            ['attStmt', new Map([['sig', new Uint8Array(8)]])],
            ['authData', decoded.get('authData')!],
          ]),
        });
      },
      'verification-failed',
    ],
    [
      'an unknown attestation format',
      (r) => {
        const decoded = isoCBOR.decodeFirst<Map<string, Uint8Array>>(Buffer.from(r.response.attestationObject, 'base64url'));
        return withResponse(r, {
          attestationObject: attestation([
            ['fmt', 'homemade'],
            ['attStmt', new Map()],
            ['authData', decoded.get('authData')!],
          ]),
        });
      },
      'verification-failed',
    ],
    ['transports not a list', (r) => withResponse(r, { transports: 'usb' as never }), 'malformed'],
    ['100 transports', (r) => withResponse(r, { transports: Array(100).fill('usb') }), 'malformed'],
    ['credProps.rk a string', (r) => ({ ...r, clientExtensionResults: { credProps: { rk: 'yes' } } }), 'malformed'],
    [
      'a cycle',
      (r) => {
        const cyclic: Record<string, unknown> = { ...r };
        cyclic.self = cyclic;
        return cyclic;
      },
      'malformed',
    ],
    ['a BigInt', (r) => ({ ...r, extra: 10n }), 'malformed'],
    ['65 KB of JSON text', (r) => JSON.stringify({ ...r, padding: 'x'.repeat(65 * 1024) }), 'too-large'],
    ['65 KB already parsed', (r) => ({ ...r, padding: 'x'.repeat(65 * 1024) }), 'too-large'],
    ['a 5 KB clientDataJSON', (r) => withResponse(r, { clientDataJSON: b64(Buffer.alloc(5 * 1024, 0x20)) }), 'malformed'],
    ['a 1 MB string', () => 'x'.repeat(1024 * 1024), 'too-large'],
    ['JSON nested 30000 deep', () => '['.repeat(30000) + ']'.repeat(30000), 'malformed'],
    [
      'an object nested 5000 deep',
      () => {
        let deep: unknown = {};
        for (let i = 0; i < 5000; i++) deep = { response: deep };
        return deep;
      },
      'malformed',
    ],
  ])('%s → %s', async (_name, mutate, reason) => {
    const { response } = await valid();
    const result = await t.service.verifyRegistration({ username: 'alice', binding: 's1', response: mutate(response), name: 'k', now: NOW });
    expect(result).toEqual({ ok: false, reason });
    await nothingStored();
  });

  it('never hands the library message (expected origin and challenge) back', async () => {
    const { creation, response } = await valid();
    const result = await t.service.verifyRegistration({
      username: 'alice',
      binding: 's1',
      now: NOW,
      name: 'k',
      response: withResponse(response, {
        attestationObject: attestation([
          ['fmt', 'homemade'],
          ['attStmt', new Map()],
          ['authData', authData()],
        ]),
      }),
    });
    expect(JSON.stringify(result)).not.toMatch(new RegExp(`${creation.challenge}|login\\.example\\.com`));
    const loud = t.lines.filter((l) => l.level !== 'debug');
    expect(JSON.stringify(loud)).not.toContain(creation.challenge);
  });
});
