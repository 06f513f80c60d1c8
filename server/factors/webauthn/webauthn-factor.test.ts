import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Factor } from '../factor.js';
import { createWebAuthnFixture, NOW, YUBIKEY, type WebAuthnFixture } from './testing/webauthn-fixture.js';
import type { SoftAuthenticator } from './testing/soft-authenticator.js';
import { createWebAuthnFactor } from './webauthn-factor.js';

let t: WebAuthnFixture;
let factor: Factor;
let key: SoftAuthenticator;
let credentialId: string;

beforeEach(async () => {
  t = createWebAuthnFixture({ aaguid_allowlist: [{ aaguid: YUBIKEY, name: 'YubiKey 5 Series' }] });
  factor = createWebAuthnFactor(t.service);
  key = t.authenticator({ aaguid: YUBIKEY });
  const { result } = await t.register(key, { name: 'Desk key' });
  credentialId = result.ok ? result.credential.id : '';
});
afterEach(() => t.storage.close());

const assertion = async (binding: string, overrides = {}) => key.authenticate(await t.service.authenticationOptions({ username: 'alice', binding, now: NOW }), overrides);

describe('createWebAuthnFactor', () => {
  it('lists the user’s credentials by name, with the model from the allow-list', async () => {
    expect(factor.kind).toBe('webauthn');
    expect(await factor.listDevices('alice')).toEqual([{ id: credentialId, kind: 'webauthn', name: 'Desk key', model: 'YubiKey 5 Series', createdAt: NOW, lastUsedAt: null }]);
    expect(await factor.listDevices('bob')).toEqual([]);
  });

  it('verifies an assertion bound to the session as the second factor, with the authenticator’s UV flag', async () => {
    const response = await assertion('s1');
    const result = await factor.verify({ username: 'alice', response, now: NOW + 1, binding: 's1' });
    expect(result).toEqual({ ok: true, device: { id: credentialId, kind: 'webauthn', name: 'Desk key', createdAt: NOW, lastUsedAt: NOW + 1 }, userVerified: true });
    const unverified = await factor.verify({ username: 'alice', response: await assertion('s1', { flags: { uv: false } }), now: NOW + 2, binding: 's1' });
    expect(unverified).toMatchObject({ ok: true, userVerified: false });
  });

  it.each<[string, string, string | undefined, () => Promise<{ response: unknown; binding: string | undefined }>]>([
    ['no binding', 'malformed', undefined, async () => ({ response: await assertion('s1'), binding: undefined })],
    ['a malformed answer', 'malformed', 'malformed', async () => ({ response: (await assertion('s1')) && '{', binding: 's1' })],
    ['another session', 'replayed', 'challenge-expired', async () => ({ response: await assertion('s1'), binding: 's2' })],
    ['a wrong origin', 'invalid-code', 'wrong-origin', async () => ({ response: await assertion('s1', { origin: 'https://evil.example' }), binding: 's1' })],
    [
      'an answer to another challenge',
      'replayed',
      'challenge-mismatch',
      async () => ({ response: await assertion('s1', { challenge: randomBytes(32).toString('base64url') }), binding: 's1' }),
    ],
  ])('maps %s to %s (detail %s)', async (_name, reason, detail, make) => {
    const { response, binding } = await make();
    expect(await factor.verify({ username: 'alice', response, now: NOW, binding })).toEqual({ ok: false, reason, ...(detail ? { detail } : {}) });
  });

  it('answers no-device for a user without credentials', async () => {
    expect(await factor.verify({ username: 'bob', response: await assertion('s1'), now: NOW, binding: 's1' })).toEqual({ ok: false, reason: 'no-device' });
  });

  it('counts a replayed assertion and a counter regression as replays', async () => {
    const response = await assertion('s1');
    expect((await factor.verify({ username: 'alice', response, now: NOW, binding: 's1' })).ok).toBe(true);
    expect(await factor.verify({ username: 'alice', response, now: NOW, binding: 's1' })).toEqual({ ok: false, reason: 'replayed', detail: 'challenge-expired' });
    expect(await factor.verify({ username: 'alice', response: await assertion('s1', { counter: 1 }), now: NOW, binding: 's1' })).toEqual({
      ok: false,
      reason: 'replayed',
      detail: 'counter-regression',
    });
  });

  it("removes the user's own credential only", async () => {
    expect(await factor.remove('bob', credentialId)).toBe(false);
    expect(await factor.remove('alice', credentialId)).toBe(true);
    expect(await factor.listDevices('alice')).toEqual([]);
    expect(await factor.remove('alice', credentialId)).toBe(false);
  });
});
