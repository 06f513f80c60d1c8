import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../config/load-config.js';
import { generateEs256Pem } from './testing/test-keys.js';
import { tempDirForFile } from '../testing/temp-dir.js';

const dir = tempDirForFile('gatehouse-jwt-config-');
const GOOD = generateEs256Pem();

function parse(identityJwt: unknown, sites: unknown[] = [{ name: 'app', url: 'https://app.corp.example/', identity_jwt: true }]) {
  const doc: Record<string, unknown> = {
    server: { portal_url: 'https://auth.corp.example/' },
    session: { store: 'memory', domain: 'corp.example' },
    authentication: { users_file: 'users.yml' },
    storage: { encryption_keys: [{ id: 'k1', key: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0' }] },
    sites,
  };
  if (identityJwt !== undefined) doc.identity_jwt = identityJwt;
  return parseConfigText(stringify(doc), { env: {}, baseDir: dir });
}

function errorsOf(result: ReturnType<typeof parse>): string[] {
  return result.ok ? [] : result.errors;
}

const pem = (type: 'rsa' | 'ed25519' | 'p384' | 'secp256k1') => {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: type === 'p384' ? 'secp384r1' : 'secp256k1' });
  return pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
};

describe('identity_jwt config', () => {
  it('fills the defaults and leaves the issuer to the portal URL', () => {
    const result = parse({ keys: [{ id: 'k1', private_key: GOOD }] });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.identity_jwt).toMatchObject({ header: 'Remote-Jwt', ttl: 30 });
    expect(result.config.identity_jwt?.issuer).toBeUndefined();
    expect(result.config.sites[0]?.identity_jwt).toBe(true);
  });

  it('accepts a SEC1 ("EC PRIVATE KEY") PEM too', () => {
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    expect(errorsOf(parse({ keys: [{ id: 'k1', private_key: sec1 }] }))).toEqual([]);
  });

  it('reads the key from private_key_file', () => {
    const file = join(dir, 'jwt.pem');
    writeFileSync(file, GOOD);
    const result = parse({ keys: [{ id: 'k1', private_key_file: file }] });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.identity_jwt?.keys[0]?.private_key).toBe(GOOD.replace(/\n$/, ''));
  });

  it.each([
    ['garbage', 'not a key', 'identity_jwt.keys[0].private_key: is not a PEM private key'],
    ['a truncated PEM', GOOD.slice(0, 80), 'identity_jwt.keys[0].private_key: is not a PEM private key'],
    [
      'a public key',
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      'identity_jwt.keys[0].private_key: is not a PEM private key',
    ],
    ['an RSA key', pem('rsa'), 'identity_jwt.keys[0].private_key: must be an EC P-256 key for ES256 (got RSA)'],
    ['an Ed25519 key', pem('ed25519'), 'identity_jwt.keys[0].private_key: must be an EC P-256 key for ES256 (got ED25519)'],
    ['a P-384 key', pem('p384'), 'identity_jwt.keys[0].private_key: must be an EC P-256 key for ES256 (got EC secp384r1)'],
    ['a secp256k1 key', pem('secp256k1'), 'identity_jwt.keys[0].private_key: must be an EC P-256 key for ES256 (got EC secp256k1)'],
  ])('refuses %s with its path', (_name, key, expected) => {
    const errors = errorsOf(parse({ keys: [{ id: 'k1', private_key: key }] }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(expected);
    // The message never repeats key material.
    expect(errors[0]).not.toContain('BEGIN');
  });

  it.each([
    [{ ttl: '2m' }, 'identity_jwt.ttl: must be at most 60s'],
    [{ ttl: 61 }, 'identity_jwt.ttl: must be at most 60s'],
    [{ ttl: 0 }, 'identity_jwt.ttl: must be longer than 0'],
    [{ ttl: 'soon' }, 'identity_jwt.ttl: "soon" is not a duration'],
    [{ header: 'Remote-User' }, 'identity_jwt.header: must not be a header Gatehouse already writes or strips'],
    [{ header: 'cookie' }, 'identity_jwt.header: must not be a header Gatehouse already writes or strips'],
    [{ header: 'Remote_Jwt' }, 'identity_jwt.header: must be a header name'],
    [{ header: 'X Jwt' }, 'identity_jwt.header: must be a header name'],
    [{ keys: [] }, 'identity_jwt.keys: needs at least one key'],
    [{ keys: [{ id: 'a b', private_key: GOOD }] }, 'identity_jwt.keys[0].id: must be 1-64'],
    [
      {
        keys: [
          { id: 'k', private_key: GOOD },
          { id: 'k', private_key: GOOD },
        ],
      },
      'identity_jwt.keys[1].id: duplicates identity_jwt.keys[0].id',
    ],
    [{ keys: [{ id: 'k', private_key: GOOD, private_key_file: '/x' }] }, 'identity_jwt.keys[0].private_key_file: set either private_key or private_key_file, not both'],
    [{ keys: [{ id: 'k', private_key_file: '/nonexistent/jwt.pem' }] }, 'identity_jwt.keys[0].private_key_file: cannot read'],
    [{ keys: [{ id: 'k', private_key: GOOD }], audience: 'x' }, 'identity_jwt.audience: unknown key'],
  ])('refuses %j', (override, expected) => {
    const errors = errorsOf(parse({ keys: [{ id: 'k1', private_key: GOOD }], ...override }));
    expect(
      errors.some((e) => e.includes(expected)),
      errors.join('\n'),
    ).toBe(true);
  });

  it('accepts a ttl of exactly 60s', () => {
    expect(errorsOf(parse({ keys: [{ id: 'k1', private_key: GOOD }], ttl: '60s' }))).toEqual([]);
  });

  it('refuses a site that asks for a token when no keys are configured', () => {
    expect(errorsOf(parse(undefined))).toContain('sites[0].identity_jwt: needs the identity_jwt section (its signing keys)');
  });

  it('leaves sites without the option off', () => {
    const result = parse(undefined, [{ name: 'app', url: 'https://app.corp.example/' }]);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.sites[0]?.identity_jwt ?? false).toBe(false);
  });
});
