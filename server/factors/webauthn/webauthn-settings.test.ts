import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PORTAL, webauthnConfig } from './testing/webauthn-fixture.js';
import { resolveWebAuthnSettings } from './webauthn-settings.js';

describe('resolveWebAuthnSettings', () => {
  it("defaults the RP ID to the portal's host and the origins to the portal's origin", () => {
    const settings = resolveWebAuthnSettings(webauthnConfig(), PORTAL);
    expect(settings).toMatchObject({ rpId: 'login.example.com', origins: ['https://login.example.com'], rpName: 'Gatehouse', challengeTtlSeconds: 120, allowSynced: true });
    expect(settings.rpIdHash.equals(createHash('sha256').update('login.example.com').digest())).toBe(true);
  });

  it('keeps a portal port in the default origin', () => {
    expect(resolveWebAuthnSettings(webauthnConfig(), new URL('http://localhost:9091/')).origins).toEqual(['http://localhost:9091']);
  });

  it('accepts a parent domain as RP ID and origins on it', () => {
    const settings = resolveWebAuthnSettings(webauthnConfig({ rp_id: 'example.com', origins: ['https://login.example.com', 'https://example.com:8443'] }), PORTAL);
    expect(settings.rpId).toBe('example.com');
    expect(settings.origins).toEqual(['https://login.example.com', 'https://example.com:8443']);
  });

  it.each([
    ['an unrelated RP ID', { rp_id: 'evil.example' }, /rp_id "evil.example" must be the portal's host/],
    ['a suffix that is not a parent', { rp_id: 'ample.com' }, /rp_id/],
    ['a child of the portal as RP ID', { rp_id: 'sub.login.example.com' }, /rp_id/],
    ['an origin off the RP ID', { origins: ['https://evil.example'] }, /"https:\/\/evil.example" is not on the RP ID/],
    ['a look-alike origin', { origins: ['https://login.example.com.evil.example'] }, /not on the RP ID/],
    ['a plain-http origin', { origins: ['http://login.example.com'] }, /must use https/],
  ])('refuses %s at start-up', (_name, overrides, message) => {
    expect(() => resolveWebAuthnSettings(webauthnConfig(overrides), PORTAL)).toThrow(message);
  });
});
