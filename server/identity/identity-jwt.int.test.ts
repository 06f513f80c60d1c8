import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, PORTAL, TRUSTED_PROXY, WIKI, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';
import { generateEs256Pem } from './testing/test-keys.js';

const ISSUER = `http://${PORTAL}/`;
const APP_AUD = `http://${APP}/`;

describe('signed identity through the gateway', () => {
  let h: GatewayHarness;
  let alice: string;

  beforeAll(async () => {
    h = await startGatewayHarness({
      configure: (config) => {
        Object.assign(config, {
          identity_jwt: {
            keys: [
              { id: 'gw-1', private_key: generateEs256Pem() },
              { id: 'gw-0', private_key: generateEs256Pem() },
            ],
            ttl: '30s',
          },
        });
        Object.assign(config.sites[0]!, { identity_jwt: true });
        Object.assign(config.sites[2]!, { identity_jwt: true });
      },
    });
    alice = await h.signIn('alice');
  });
  afterAll(() => h?.close());

  const upstreamSaw = async (headers: Record<string, string>, path = '/page') => {
    const res = await h.request({ path, host: APP, headers });
    expect(res.status).toBe(200);
    return (JSON.parse(res.body) as { headers: Record<string, string | string[]> }).headers;
  };

  it('publishes the public keys at /.well-known/jwks.json on the portal and on non-site hosts', async () => {
    for (const host of [PORTAL, WIKI, '127.0.0.1']) {
      const res = await h.request({ path: '/.well-known/jwks.json', host });
      expect(res.status, host).toBe(200);
      const jwks = JSON.parse(res.body) as { keys: Record<string, string>[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual(['gw-1', 'gw-0']);
      for (const key of jwks.keys) {
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
        expect(key.d).toBeUndefined();
      }
    }
  });

  it('sends the upstream a JWT that verifies against the published JWKS, with the site as audience', async () => {
    const headers = await upstreamSaw({ cookie: alice });
    const token = headers['remote-jwt'];
    expect(typeof token).toBe('string');
    const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${h.port}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token as string, jwks, { issuer: ISSUER, audience: APP_AUD, algorithms: ['ES256'] });
    expect(protectedHeader.kid).toBe('gw-1');
    expect(payload).toMatchObject({ sub: 'alice', email: 'alice@corp.example', name: 'Alice Liu', groups: ['admins', 'dev'], amr: ['password'] });
    expect(payload.exp! - payload.iat!).toBe(30);
    expect(headers['remote-user']).toBe('alice');
  });

  it('reuses the token on the next requests instead of signing each time', async () => {
    const first = (await upstreamSaw({ cookie: alice }))['remote-jwt'];
    const second = (await upstreamSaw({ cookie: alice }))['remote-jwt'];
    expect(second).toBe(first);
  });

  it.each([['Remote-Jwt'], ['remote-jwt'], ['REMOTE-JWT'], ['remote_jwt'], ['Remote_Jwt']])('never lets a client-sent %s reach the upstream', async (name) => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.';
    // Signed in: only our token arrives.
    const signedIn = await upstreamSaw({ cookie: alice, [name]: forged });
    expect(JSON.stringify(signedIn)).not.toContain(forged);
    expect(decodeJwt(signedIn['remote-jwt'] as string).sub).toBe('alice');
    // Anonymous (a bypass path): nothing arrives at all.
    const anonymous = await upstreamSaw({ [name]: forged }, '/public/x');
    expect(JSON.stringify(anonymous)).not.toContain(forged);
    expect(Object.keys(anonymous).filter((k) => k.replaceAll('_', '-').toLowerCase() === 'remote-jwt')).toEqual([]);
  });

  it('sends no token to a site without identity_jwt', async () => {
    const res = await h.request({ path: '/docs/page', host: APP, headers: { cookie: alice } });
    expect(res.status).toBe(200);
    const headers = (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
    expect(headers['remote-user']).toBe('alice');
    expect(headers['remote-jwt']).toBeUndefined();
  });

  it('answers forward-auth with the token for the proxy to pass on, audience = the forward-auth site', async () => {
    const res = await h.request({
      path: '/api/authz/forward-auth',
      host: WIKI,
      headers: { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': WIKI, 'x-forwarded-uri': '/page', cookie: alice },
      localAddress: TRUSTED_PROXY,
    });
    expect(res.status).toBe(200);
    const jwks = JSON.parse((await h.request({ path: '/.well-known/jwks.json', host: PORTAL })).body) as Parameters<typeof createLocalJWKSet>[0];
    const token = res.headers['remote-jwt'] as string;
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: `http://${WIKI}/` });
    expect(payload.sub).toBe('alice');
    await expect(jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: APP_AUD })).rejects.toThrow(/aud/);
  });

  it('answers nginx auth_request with the token too', async () => {
    const res = await h.request({
      path: '/api/authz/auth-request',
      host: WIKI,
      headers: { 'x-original-url': `http://${WIKI}/page`, 'x-original-method': 'GET', cookie: alice },
      localAddress: TRUSTED_PROXY,
    });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.headers['remote-jwt'] as string)).toMatchObject({ sub: 'alice', aud: `http://${WIKI}/` });
  });

  it('gives no token when forward-auth refuses', async () => {
    const res = await h.request({
      path: '/api/authz/forward-auth',
      host: WIKI,
      headers: { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': WIKI, 'x-forwarded-uri': '/page' },
      localAddress: TRUSTED_PROXY,
    });
    expect(res.status).toBe(302);
    expect(res.headers['remote-jwt']).toBeUndefined();
  });
});
