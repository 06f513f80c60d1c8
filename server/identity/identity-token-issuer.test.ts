import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTVerifyOptions } from 'jose';
import { describe, expect, it } from 'vitest';
import type { IdentityJwtConfig, SiteConfig } from '../config/schema.js';
import { createFixedClock } from '../core/clock.js';
import type { Session } from '../session/session.js';
import { createIdentityTokenIssuer, type IdentityTokenIssuer } from './identity-token-issuer.js';
import { generateEs256Pem } from './testing/test-keys.js';

const NOW = Date.UTC(2026, 0, 1, 9, 0, 0);
const ISSUER = 'https://auth.corp.example/';
const KEY_A = { id: 'key-a', private_key: generateEs256Pem() };
const KEY_B = { id: 'key-b', private_key: generateEs256Pem() };

const site = (name: string, url: string): SiteConfig => ({ name, url: new URL(url), preserve_host: true, timeout: 30, identity_jwt: true, case_insensitive_paths: true });
const WIKI = site('wiki', 'https://wiki.corp.example/');
const GRAFANA = site('grafana', 'https://tools.corp.example/grafana/');

function session(overrides: Partial<Session> = {}): Session {
  return {
    user: { username: 'alice', displayName: 'Alice Liu', email: 'alice@corp.example', groups: ['admins', 'dev'] },
    factors: [
      { kind: 'password', at: NOW - 120_000 },
      { kind: 'totp', at: NOW - 60_000, device: 'phone' },
    ],
    createdAt: NOW - 120_000,
    lastActiveAt: NOW,
    expiresAt: NOW + 3_600_000,
    idleSeconds: 3600,
    rememberMe: false,
    csrf: 'csrf',
    ...overrides,
  };
}

function issuerWith(keys: IdentityJwtConfig['keys'], clock = createFixedClock(NOW), ttl = 30) {
  const config: IdentityJwtConfig = { keys, header: 'Remote-Jwt', ttl };
  return { clock, issuer: createIdentityTokenIssuer({ clock }, { config, issuer: ISSUER }) };
}

const verifyAt = (token: string, jwks: IdentityTokenIssuer['jwks'], at: number, options: JWTVerifyOptions = {}) =>
  jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: WIKI.url.href, algorithms: ['ES256'], currentDate: new Date(at), ...options });

describe('identity token', () => {
  it('carries the user, groups, factors with their times, audience and a kid, and verifies against the JWKS', async () => {
    const { issuer } = issuerWith([KEY_A]);
    const token = await issuer.tokenFor(session(), WIKI);
    const { payload, protectedHeader } = await verifyAt(token, issuer.jwks, NOW);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'key-a', typ: 'JWT' });
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: 'https://wiki.corp.example/',
      sub: 'alice',
      name: 'Alice Liu',
      email: 'alice@corp.example',
      groups: ['admins', 'dev'],
      amr: ['password', 'totp'],
      factors: [
        { kind: 'password', at: (NOW - 120_000) / 1000 },
        { kind: 'totp', at: (NOW - 60_000) / 1000 },
      ],
      auth_time: (NOW - 60_000) / 1000,
      iat: NOW / 1000,
      exp: NOW / 1000 + 30,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('publishes only public keys, for signatures with ES256', () => {
    const { issuer } = issuerWith([KEY_A, KEY_B]);
    expect(issuer.jwks.keys.map((k) => k.kid)).toEqual(['key-a', 'key-b']);
    for (const key of issuer.jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
  });

  it('uses the configured header name, lower-cased for node', () => {
    expect(issuerWith([KEY_A]).issuer.header).toBe('remote-jwt');
  });

  describe('fails verification', () => {
    const tamper = (token: string, change: (payload: Record<string, unknown>) => void): string => {
      const [header, body, signature] = token.split('.');
      const payload = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, unknown>;
      change(payload);
      return [header, Buffer.from(JSON.stringify(payload)).toString('base64url'), signature].join('.');
    };

    it.each<[string, (p: Record<string, unknown>) => void]>([
      ['another user', (p) => (p.sub = 'mallory')],
      ['an added group', (p) => (p.groups = ['admins', 'dev', 'finance'])],
      ['another audience', (p) => (p.aud = 'https://tools.corp.example/grafana/')],
      ['a later expiry', (p) => (p.exp = (p.exp as number) + 3600)],
      ['an added factor', (p) => (p.amr = ['password', 'totp', 'webauthn'])],
    ])('when the payload is tampered with: %s', async (_name, change) => {
      const { issuer } = issuerWith([KEY_A]);
      const token = await issuer.tokenFor(session(), WIKI);
      await expect(verifyAt(tamper(token, change), issuer.jwks, NOW, { audience: undefined })).rejects.toThrow(/signature/);
    });

    it('when the header is switched to alg none', async () => {
      const { issuer } = issuerWith([KEY_A]);
      const [, body] = (await issuer.tokenFor(session(), WIKI)).split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'key-a' })).toString('base64url')}.${body}.`;
      await expect(verifyAt(none, issuer.jwks, NOW)).rejects.toThrow();
    });

    it('when the signature is cut off or swapped for another token’s', async () => {
      const { issuer } = issuerWith([KEY_A]);
      const token = await issuer.tokenFor(session(), WIKI);
      const other = await issuer.tokenFor(session({ user: { username: 'bob', displayName: 'Bob', email: 'bob@corp.example', groups: [] } }), WIKI);
      const [h, b] = token.split('.');
      await expect(verifyAt(`${h}.${b}.`, issuer.jwks, NOW)).rejects.toThrow();
      await expect(verifyAt(`${h}.${b}.${other.split('.')[2]}`, issuer.jwks, NOW)).rejects.toThrow(/signature/);
    });

    it.each([
      ['at its expiry', 30_000],
      ['a minute after', 90_000],
    ])('when it has expired (%s)', async (_name, after) => {
      const { issuer } = issuerWith([KEY_A]);
      const token = await issuer.tokenFor(session(), WIKI);
      await expect(verifyAt(token, issuer.jwks, NOW + after)).rejects.toThrow(/exp/);
      await expect(verifyAt(token, issuer.jwks, NOW + 29_000)).resolves.toBeTruthy();
    });

    it.each(['https://tools.corp.example/grafana/', 'https://wiki.corp.example', 'https://wiki.corp.example/other/', 'http://wiki.corp.example/'])(
      'for another audience: %s',
      async (audience) => {
        const { issuer } = issuerWith([KEY_A]);
        const token = await issuer.tokenFor(session(), WIKI);
        await expect(verifyAt(token, issuer.jwks, NOW, { audience })).rejects.toThrow(/aud/);
      },
    );

    it.each(['https://evil.example/', 'https://auth.corp.example', 'https://auth.corp.example/other/'])('for another issuer: %s', async (expected) => {
      const { issuer } = issuerWith([KEY_A]);
      const token = await issuer.tokenFor(session(), WIKI);
      await expect(verifyAt(token, issuer.jwks, NOW, { issuer: expected })).rejects.toThrow(/iss/);
    });

    it('when signed by a key that is not published, with an unknown kid or with a published kid', async () => {
      const { issuer: trusted } = issuerWith([KEY_A]);
      const { issuer: stranger } = issuerWith([{ id: 'key-x', private_key: generateEs256Pem() }]);
      const { issuer: impostor } = issuerWith([{ id: 'key-a', private_key: generateEs256Pem() }]);
      await expect(verifyAt(await stranger.tokenFor(session(), WIKI), trusted.jwks, NOW)).rejects.toThrow(/no applicable key/);
      await expect(verifyAt(await impostor.tokenFor(session(), WIKI), trusted.jwks, NOW)).rejects.toThrow(/signature/);
    });
  });

  describe('key rotation', () => {
    it('signs with the first key; after rotating the new first key signs, and old tokens verify while their key is published', async () => {
      const before = issuerWith([KEY_A, KEY_B]).issuer;
      const old = await before.tokenFor(session(), WIKI);
      expect(decodeProtectedHeader(old).kid).toBe('key-a');
      await expect(verifyAt(old, before.jwks, NOW)).resolves.toBeTruthy();

      const rotated = issuerWith([KEY_B, KEY_A]).issuer;
      const fresh = await rotated.tokenFor(session(), WIKI);
      expect(decodeProtectedHeader(fresh).kid).toBe('key-b');
      await expect(verifyAt(fresh, rotated.jwks, NOW)).resolves.toBeTruthy();
      await expect(verifyAt(old, rotated.jwks, NOW)).resolves.toBeTruthy();
      // An app still holding the old JWKS (both keys) accepts the new tokens too.
      await expect(verifyAt(fresh, before.jwks, NOW)).resolves.toBeTruthy();

      const retired = issuerWith([KEY_B]).issuer;
      await expect(verifyAt(old, retired.jwks, NOW)).rejects.toThrow(/no applicable key/);
      await expect(verifyAt(fresh, retired.jwks, NOW)).resolves.toBeTruthy();
    });
  });

  describe('cache', () => {
    it('returns the same token, synchronously, until half its lifetime has passed, then a new one', async () => {
      const { issuer, clock } = issuerWith([KEY_A]);
      const first = await issuer.tokenFor(session(), WIKI);
      clock.advance(14_999);
      const again = issuer.tokenFor(session(), WIKI);
      expect(again).toBe(first);
      clock.advance(1);
      const renewed = await issuer.tokenFor(session(), WIKI);
      expect(renewed).not.toBe(first);
      const { payload } = await verifyAt(renewed, issuer.jwks, clock.now());
      expect(payload.iat).toBe((NOW + 15_000) / 1000);
      expect(payload.exp).toBe((NOW + 15_000) / 1000 + 30);
    });

    it('shares one signature between concurrent first requests', async () => {
      const { issuer } = issuerWith([KEY_A]);
      const tokens = await Promise.all(Array.from({ length: 20 }, () => issuer.tokenFor(session(), WIKI)));
      expect(new Set(tokens).size).toBe(1);
    });

    it('gives each site a token with its own audience', async () => {
      const { issuer } = issuerWith([KEY_A]);
      const wiki = await issuer.tokenFor(session(), WIKI);
      const grafana = await issuer.tokenFor(session(), GRAFANA);
      expect(grafana).not.toBe(wiki);
      expect((await verifyAt(grafana, issuer.jwks, NOW, { audience: 'https://tools.corp.example/grafana/' })).payload.aud).toBe('https://tools.corp.example/grafana/');
      await expect(verifyAt(grafana, issuer.jwks, NOW)).rejects.toThrow(/aud/);
    });

    it.each<[string, Partial<Session>]>([
      ['another user', { user: { username: 'bob', displayName: 'Bob', email: 'bob@corp.example', groups: ['dev'] } }],
      ['a changed group list', { user: { username: 'alice', displayName: 'Alice Liu', email: 'alice@corp.example', groups: ['dev'] } }],
      ['a changed e-mail', { user: { username: 'alice', displayName: 'Alice Liu', email: 'alice@new.example', groups: ['admins', 'dev'] } }],
      [
        'a step-up factor',
        {
          factors: [
            { kind: 'password', at: NOW - 120_000 },
            { kind: 'totp', at: NOW - 60_000 },
            { kind: 'webauthn', at: NOW },
          ],
        },
      ],
      ['another sign-in', { createdAt: NOW - 1000 }],
    ])('signs a new token for %s', async (_name, change) => {
      const { issuer } = issuerWith([KEY_A]);
      const first = await issuer.tokenFor(session(), WIKI);
      const other = await issuer.tokenFor(session(change), WIKI);
      expect(other).not.toBe(first);
      const { payload } = await verifyAt(other, issuer.jwks, NOW);
      expect(payload.sub).toBe(change.user?.username ?? 'alice');
    });

    it('stays bounded: a full table is emptied of stale entries, then started over', async () => {
      const clock = createFixedClock(NOW);
      const config: IdentityJwtConfig = { keys: [KEY_A], header: 'Remote-Jwt', ttl: 30 };
      const issuer = createIdentityTokenIssuer({ clock }, { config, issuer: ISSUER, maxCached: 3 });
      const user = (name: string) => session({ user: { username: name, displayName: name, email: '', groups: [] } });
      const a = await issuer.tokenFor(user('a'), WIKI);
      await issuer.tokenFor(user('b'), WIKI);
      await issuer.tokenFor(user('c'), WIKI);
      await issuer.tokenFor(user('d'), WIKI);
      // The table started over at d: a is signed again (a different jti), not served stale.
      expect(await issuer.tokenFor(user('a'), WIKI)).not.toBe(a);
    });
  });
});
