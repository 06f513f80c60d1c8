import { createECDH, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAuthorizationHeader as parseDeviceAuthorization, parseSignedQuery as parseDeviceQuery } from '../../../client/companion/push-wire-format.js';
import { describeUserAgent } from './describe-user-agent.js';
import { allowsLoopbackPush, decodeBase64url, loadSpki, parseDeviceName, parseSubscription, verifyDeviceSignature } from './push-wire.js';

const point = () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return ecdh.getPublicKey().toString('base64url');
};
const keys = () => ({ p256dh: point(), auth: randomBytes(16).toString('base64url') });

describe('decodeBase64url', () => {
  it.each(['', 'a', 'ab=', 'a+b/', 'AB CD', 'QQ==', 'QR', 42, null, undefined, ['QQ']])('refuses %j', (value) => expect(decodeBase64url(value)).toBeUndefined());
  it('accepts only the canonical spelling', () => {
    expect(decodeBase64url('QQ')).toEqual(Buffer.from('A'));
    expect(decodeBase64url('QR')).toBeUndefined(); // same bytes, non-zero trailing bits
  });
});

describe('parseSubscription', () => {
  const strict = { allowLoopback: false, services: ['*'] };
  const local = { allowLoopback: true, services: ['*'] };
  it('keeps a good one, canonical', () => {
    const k = keys();
    expect(parseSubscription({ endpoint: 'https://web.push.apple.com/QGx', keys: k, expirationTime: null }, strict)).toEqual({
      endpoint: 'https://web.push.apple.com/QGx',
      keys: k,
    });
  });
  it.each([
    ['http on loopback for a non-local portal', { endpoint: 'http://127.0.0.1:9/x' }, strict],
    ['http to a remote host for a local portal', { endpoint: 'http://push.example/x' }, local],
    ['ftp', { endpoint: 'ftp://push.example/x' }, strict],
    ['data', { endpoint: 'data:text/plain,x' }, strict],
    ['a fragment', { endpoint: 'https://push.example/x#y' }, strict],
    ['user info', { endpoint: 'https://a@push.example/x' }, strict],
    ['an IPv4 literal', { endpoint: 'https://10.0.0.5/x' }, strict],
    ['an IPv4 literal in another spelling', { endpoint: 'https://0x0a000005/x' }, strict],
    ['an IPv6 literal', { endpoint: 'https://[fd00::1]/x' }, strict],
    ['https on loopback', { endpoint: 'https://127.0.0.1/x' }, local],
    ['relative', { endpoint: '/x' }, strict],
    ['not a string', { endpoint: 42 }, strict],
    ['an extra field', { extra: 1 }, strict],
    ['keys null', { keys: null }, strict],
    ['keys an array', { keys: [] }, strict],
    ['auth not base64url', { keys: { ...keys(), auth: '!!!!' } }, strict],
    ['p256dh of another curve', { keys: { ...keys(), p256dh: Buffer.alloc(97, 4).toString('base64url') } }, strict],
    ['p256dh all zero after 04', { keys: { ...keys(), p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64)]).toString('base64url') } }, strict],
  ])('refuses %s', (_name, change, options) => {
    expect(parseSubscription({ endpoint: 'https://push.example/x', keys: keys(), ...change }, options)).toBeUndefined();
  });
  it.each([null, 'x', [], 1, Object.create({ endpoint: 'https://push.example/x' })])('refuses %j', (value) => expect(parseSubscription(value, strict)).toBeUndefined());
  it('allows loopback http only for a local http portal', () => {
    expect(allowsLoopbackPush(new URL('http://localhost:8080/'))).toBe(true);
    expect(allowsLoopbackPush(new URL('http://auth.localhost/'))).toBe(true);
    expect(allowsLoopbackPush(new URL('https://localhost/'))).toBe(false);
    expect(allowsLoopbackPush(new URL('http://auth.corp.example/'))).toBe(false);
    expect(allowsLoopbackPush(new URL('http://localhost.corp.example/'))).toBe(false);
    expect(parseSubscription({ endpoint: 'http://localhost:9/x', keys: keys() }, { allowLoopback: true, services: ['fcm.googleapis.com'] })).toBeDefined();
  });
  it.each([
    ['https://fcm.googleapis.com/fcm/send/abc', true],
    ['https://updates.push.services.mozilla.com/wpush/v2/x', true],
    ['https://web.push.apple.com/QGx', true],
    ['https://wns2-by3p.notify.windows.com/w/?token=x', true],
    ['https://notify.windows.com/x', false],
    ['https://fcm.googleapis.com.evil.example/x', false],
    ['https://evilfcm.googleapis.com/x', false],
    ['https://internal.corp.example/admin', false],
    ['https://metadata.google.internal/computeMetadata', false],
  ])('with the default push services, %s is %s', (endpoint, allowed) => {
    const services = ['fcm.googleapis.com', 'updates.push.services.mozilla.com', 'web.push.apple.com', '*.push.apple.com', '*.notify.windows.com'];
    expect(parseSubscription({ endpoint, keys: keys() }, { allowLoopback: false, services }) !== undefined).toBe(allowed);
  });
});

describe('device keys and signatures', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  it('loads a P-256 SPKI key and verifies raw r‖s signatures only', () => {
    const key = loadSpki(der)!;
    const raw = sign('sha256', Buffer.from('text'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verifyDeviceSignature(key, 'text', raw.toString('base64url'))).toBe(true);
    expect(verifyDeviceSignature(key, 'text!', raw.toString('base64url'))).toBe(false);
    expect(verifyDeviceSignature(key, 'text', sign('sha256', Buffer.from('text'), privateKey).toString('base64url'))).toBe(false);
    expect(verifyDeviceSignature(key, 'text', Buffer.alloc(64).toString('base64url'))).toBe(false);
    expect(verifyDeviceSignature(key, 'text', 123)).toBe(false);
  });
  it.each([
    ['P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' })],
    ['secp256k1', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'der', type: 'spki' })],
    ['Ed25519', generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' })],
    ['trailing byte', Buffer.concat([der, Buffer.from([0])])],
    ['truncated', der.subarray(0, der.length - 1)],
    ['empty', Buffer.alloc(0)],
  ])('refuses a %s key', (_name, bytes) => expect(loadSpki(bytes)).toBeUndefined());
});

describe('device credentials', () => {
  const sig = 'A'.repeat(86);
  it('parses the header and the query', () => {
    expect(parseDeviceAuthorization(`Gatehouse-Device id=abc_-1,t=1700000000000,sig=${sig}`)).toEqual({ id: 'abc_-1', t: 1700000000000, sig });
    expect(parseDeviceAuthorization(`Gatehouse-Device id=abc, t=1, sig=${sig}`)).toEqual({ id: 'abc', t: 1, sig });
    expect(parseDeviceQuery({ id: 'abc', t: '5', sig })).toEqual({ id: 'abc', t: 5, sig });
  });
  it.each([
    undefined,
    '',
    `Bearer id=a,t=1,sig=${sig}`,
    `gatehouse-device id=a,t=1,sig=${sig}`,
    `Gatehouse-Device id=a,t=-1,sig=${sig}`,
    `Gatehouse-Device id=a,t=1.5,sig=${sig}`,
    `Gatehouse-Device id=a,t=1,sig=${sig}A`,
    `Gatehouse-Device id=a b,t=1,sig=${sig}`,
    `Gatehouse-Device t=1,id=a,sig=${sig}`,
    `Gatehouse-Device id=a,t=1,sig=${sig},extra=1`,
    `Gatehouse-Device id=${'a'.repeat(65)},t=1,sig=${sig}`,
    `Gatehouse-Device id=a,t=1234567890123456,sig=${sig}`,
  ])('refuses the header %j', (header) => expect(parseDeviceAuthorization(header)).toBeUndefined());
  it.each([{}, { id: 'a', t: '1' }, { id: ['a'], t: '1', sig }, { id: 'a', t: 'x', sig }, { id: 'a', t: '1', sig: 'short' }])('refuses the query %j', (query) =>
    expect(parseDeviceQuery(query)).toBeUndefined(),
  );
});

describe('parseDeviceName', () => {
  it.each([
    ['  iPhone 15 ', 'iPhone 15'],
    ['陳的手機', '陳的手機'],
    ['x'.repeat(64), 'x'.repeat(64)],
    ['😀'.repeat(64), '😀'.repeat(64)],
  ])('%j → %j', (input, output) => expect(parseDeviceName(input)).toBe(output));
  it.each(['', '   ', 'x'.repeat(65), 'a\tb', 'a\u0085b', 'a\u2028b', 7, null])('refuses %j', (input) => expect(parseDeviceName(input)).toBeUndefined());
});

describe('describeUserAgent', () => {
  it.each([
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome', 'Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge', 'Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15', 'Safari', 'macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1', 'Safari', 'iOS'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0', 'Firefox', 'Linux'],
    ['Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36', 'Chrome', 'Android'],
    ['curl/8.5.0', 'Other', 'Other'],
    [undefined, 'Other', 'Other'],
  ])('%s', (ua, browser, os) => expect(describeUserAgent(ua)).toEqual({ browser, os }));
});
