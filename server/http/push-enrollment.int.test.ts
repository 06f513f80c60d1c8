import { createECDH, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32 } from '../factors/otp/base32.js';
import { generateTotp } from '../factors/otp/generate-otp.js';
import { issueEnrollmentCode } from '../enrollment/enrollment-codes.js';
import { api, browser, enrollPhone, startPushHarness } from '../factors/push/testing/push-harness.js';
import { createSoftCompanion } from '../factors/push/testing/soft-companion.js';
import { csrfFieldOf } from '../testing/http-client.js';

type Harness = Awaited<ReturnType<typeof startPushHarness>>;
let h: Harness;
beforeAll(async () => {
  h = await startPushHarness({ enrollment_ttl: '2s' });
});
afterAll(() => h?.close());

const stored = async (username: string) => ({
  phones: await h.gateway.ctx.storage.pushDevices.listForUser(username),
  otp: await h.gateway.ctx.storage.otpDevices.listForUser(username),
});
const token = async (username = 'bob') => (await h.gateway.ctx.push!.startEnrollment(username)).token;
const point = () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return ecdh.getPublicKey();
};
const goodSubscription = () => ({
  endpoint: 'https://fcm.googleapis.com/fcm/send/abc123',
  keys: { p256dh: point().toString('base64url'), auth: randomBytes(16).toString('base64url') },
});

describe('push enrollment', () => {
  it('a good link enrolls the phone: push device with its key, a confirmed TOTP device for offline codes, audit', async () => {
    const phone = createSoftCompanion();
    const t = await token('alice');
    const res = await api(h, 'POST', '/enroll', { token: t, publicKey: phone.publicKey, name: ' Pixel 8 ', subscription: goodSubscription() });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ username: 'alice', portal: 'http://auth.localhost/', totp: { digits: 6, period: 30, algorithm: 'SHA1' } });
    expect(typeof res.json.serverTime).toBe('number');
    const { phones, otp } = await stored('alice');
    expect(phones).toHaveLength(1);
    expect(phones[0]).toMatchObject({ id: res.json.deviceId, name: 'Pixel 8', otpDeviceId: otp[0]!.id });
    expect(phones[0]!.publicKey.toString('base64url')).toBe(phone.publicKey);
    expect(JSON.parse(phones[0]!.subscription!)).toMatchObject({ endpoint: 'https://fcm.googleapis.com/fcm/send/abc123' });
    expect(otp).toHaveLength(1);
    expect(otp[0]).toMatchObject({ kind: 'totp', confirmed: true, name: 'Pixel 8' });
    const secret = decodeBase32((res.json.totp as { secret: string }).secret)!;
    expect(secret.equals(otp[0]!.secret)).toBe(true);
    expect(generateTotp(secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' })).toMatch(/^\d{6}$/);
    const audit = await h.gateway.ctx.storage.auditEvents.query({ kind: 'push.enrolled', subject: 'alice', limit: 10 });
    expect(audit.map((e) => e.details)).toEqual([expect.objectContaining({ device: res.json.deviceId })]);
  });

  it('a reused link → 410, nothing more stored', async () => {
    const t = await token();
    expect((await api(h, 'POST', '/enroll', { token: t, publicKey: createSoftCompanion().publicKey, name: 'one', subscription: null })).status).toBe(201);
    const before = await stored('bob');
    const again = await api(h, 'POST', '/enroll', { token: t, publicKey: createSoftCompanion().publicKey, name: 'two', subscription: null });
    expect([again.status, again.json]).toEqual([410, { error: 'enrollment_expired' }]);
    expect(await stored('bob')).toEqual(before);
  });

  it('an expired link → 410, nothing stored', async () => {
    const t = await token('bob');
    const before = await stored('bob');
    await new Promise((resolve) => setTimeout(resolve, 2300));
    const res = await api(h, 'POST', '/enroll', { token: t, publicKey: createSoftCompanion().publicKey, name: 'late', subscription: null });
    expect([res.status, res.json]).toEqual([410, { error: 'enrollment_expired' }]);
    expect(await stored('bob')).toEqual(before);
  });

  it.each(['A'.repeat(43), 'not-a-token-at-all-not-a-token-at-all-xxxxx'])('an unknown link %j → 410, the same answer', async (t) => {
    const res = await api(h, 'POST', '/enroll', { token: t, publicKey: createSoftCompanion().publicKey, name: 'x', subscription: null });
    expect([res.status, res.json]).toEqual([410, { error: 'enrollment_expired' }]);
  });

  const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64url');
  const p384Key = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64url');
  const edKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64url');
  const good = createSoftCompanion().publicKey;
  const offCurve = Buffer.concat([Buffer.from([4]), randomBytes(64)]).toString('base64url');
  const compressed = Buffer.concat([Buffer.from([2]), randomBytes(32)]).toString('base64url');
  const sub = goodSubscription;
  type Body = Record<string, unknown>;
  const cases: Array<[string, (b: Body) => unknown]> = [
    ['no public key', (b) => ({ ...b, publicKey: undefined })],
    ['an RSA key', (b) => ({ ...b, publicKey: rsaKey })],
    ['a P-384 key', (b) => ({ ...b, publicKey: p384Key })],
    ['an Ed25519 key', (b) => ({ ...b, publicKey: edKey })],
    ['a raw point instead of SPKI', (b) => ({ ...b, publicKey: point().toString('base64url') })],
    ['SPKI with trailing bytes', (b) => ({ ...b, publicKey: Buffer.concat([Buffer.from(good, 'base64url'), Buffer.from([0])]).toString('base64url') })],
    ['SPKI in standard base64', (b) => ({ ...b, publicKey: Buffer.from(good, 'base64url').toString('base64') })],
    ['SPKI as PEM', () => ({ publicKey: '-----BEGIN PUBLIC KEY-----' })],
    ['a key as a number', (b) => ({ ...b, publicKey: 42 })],
    ['garbage key', (b) => ({ ...b, publicKey: 'AAAA' })],
    ['empty name', (b) => ({ ...b, name: '   ' })],
    ['name of 65 characters', (b) => ({ ...b, name: 'x'.repeat(65) })],
    ['name with a newline', (b) => ({ ...b, name: 'a\nb' })],
    ['name with a NUL', (b) => ({ ...b, name: 'a\u0000b' })],
    ['name as an array', (b) => ({ ...b, name: ['x'] })],
    ['no subscription field', (b) => ({ ...b, subscription: undefined })],
    ['subscription as a string', (b) => ({ ...b, subscription: JSON.stringify(sub()) })],
    ['subscription without keys', (b) => ({ ...b, subscription: { endpoint: sub().endpoint } })],
    ['plain http endpoint', (b) => ({ ...b, subscription: { ...sub(), endpoint: 'http://push.example/x' } })],
    ['javascript: endpoint', (b) => ({ ...b, subscription: { ...sub(), endpoint: 'javascript:alert(1)' } })],
    ['file: endpoint', (b) => ({ ...b, subscription: { ...sub(), endpoint: 'file:///etc/passwd' } })],
    ['endpoint with credentials', (b) => ({ ...b, subscription: { ...sub(), endpoint: 'https://user:pw@push.example/x' } })],
    ['endpoint not a URL', (b) => ({ ...b, subscription: { ...sub(), endpoint: 'push service' } })],
    ['endpoint of 3000 characters', (b) => ({ ...b, subscription: { ...sub(), endpoint: `https://push.example/${'a'.repeat(3000)}` } })],
    ['p256dh of 64 bytes', (b) => ({ ...b, subscription: { ...sub(), keys: { ...sub().keys, p256dh: point().subarray(1).toString('base64url') } } })],
    ['p256dh compressed', (b) => ({ ...b, subscription: { ...sub(), keys: { ...sub().keys, p256dh: compressed } } })],
    ['p256dh off the curve', (b) => ({ ...b, subscription: { ...sub(), keys: { ...sub().keys, p256dh: offCurve } } })],
    ['p256dh padded', (b) => ({ ...b, subscription: { ...sub(), keys: { ...sub().keys, p256dh: `${point().toString('base64url')}=` } } })],
    ['auth of 15 bytes', (b) => ({ ...b, subscription: { ...sub(), keys: { ...sub().keys, auth: randomBytes(15).toString('base64url') } } })],
    ['auth of 32 bytes', (b) => ({ ...b, subscription: { ...sub(), keys: { ...sub().keys, auth: randomBytes(32).toString('base64url') } } })],
    ['auth missing', (b) => ({ ...b, subscription: { ...sub(), keys: { p256dh: sub().keys.p256dh } } })],
    ['an extra key in keys', (b) => ({ ...b, subscription: { ...sub(), keys: { ...sub().keys, extra: 'x' } } })],
    ['an extra field', (b) => ({ ...b, admin: true })],
    ['no token', (b) => ({ ...b, token: undefined })],
    ['token of the wrong length', (b) => ({ ...b, token: `${b.token as string}A` })],
    ['an array body', () => []],
    ['a string body', () => 'enroll'],
  ];

  it.each(cases)('malformed (%s) → 400, nothing stored, and the link still works', async (_name, change) => {
    const t = await token('bob');
    const before = await stored('bob');
    const res = await api(h, 'POST', '/enroll', JSON.parse(JSON.stringify(change({ token: t, publicKey: good, name: 'Phone', subscription: sub() })) ?? 'null'));
    expect([res.status, res.json]).toEqual([400, { error: 'malformed' }]);
    expect(await stored('bob')).toEqual(before);
    expect((await api(h, 'POST', '/enroll', { token: t, publicKey: createSoftCompanion().publicKey, name: 'Phone', subscription: null })).status).toBe(201);
  });

  it('a body that is not JSON, or over 16 KiB → 4xx JSON, nothing stored', async () => {
    const before = await stored('bob');
    expect((await api(h, 'POST', '/enroll', '{"token":')).json).toEqual({ error: 'malformed' });
    const big = await api(h, 'POST', '/enroll', { token: await token(), pad: 'x'.repeat(20_000) });
    expect([big.status, big.json]).toEqual([413, { error: 'too_large' }]);
    expect(await stored('bob')).toEqual(before);
  });

  it('GET config gives the VAPID key and the server time', async () => {
    const res = await api(h, 'GET', '/config');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ vapidPublicKey: h.vapid.publicKey, appLock: false, serverTime: expect.any(Number) });
    expect(Math.abs((res.json.serverTime as number) - Date.now())).toBeLessThan(5000);
  });

  it('"Add phone": refused without a fresh factor (or proof, for a user with none); then a QR code and a link that enrolls once', async () => {
    const alice = browser(h, await h.signIn('alice'));
    // The read-only methods page has no form: the session's token comes from the second-factor page.
    const refused = await alice.post('/methods/push/add', { csrf: csrfFieldOf((await alice.get('/second-factor')).body)! });
    expect([refused.status, refused.headers.location]).toEqual([303, '/methods?notice=needs_fresh_factor']);

    await h.gateway.ctx.storage.userState.resetUser('bob');
    const bob = browser(h, await h.signIn('bob'));
    const gateCsrf = csrfFieldOf((await bob.get('/methods')).body)!;
    expect((await bob.post('/methods/push/add', { csrf: gateCsrf })).status).toBe(403);
    const { code } = await issueEnrollmentCode(h.gateway.ctx.storage, { username: 'bob', method: 'admin', ttlSeconds: 600, issuedBy: 'test', now: Date.now() });
    expect((await bob.post('/enroll/code', { csrf: gateCsrf, code })).status).toBe(303);
    const page = await bob.get('/methods');
    expect(page.body).toContain('methods/push/add');
    const add = await bob.post('/methods/push/add', { csrf: csrfFieldOf(page.body)! });
    expect(add.status).toBe(200);
    expect(add.body).toMatch(/<img src="data:image\/svg\+xml;base64,[^"]{200,}"/);
    const link = /href="(http:\/\/auth\.localhost\/companion\/#enroll&#61;[A-Za-z0-9_-]{43})"/.exec(add.body)?.[1]?.replace('&#61;', '=');
    expect(link).toBeDefined();
    const t = link!.split('#enroll=')[1]!;
    expect((await api(h, 'POST', '/enroll', { token: t, publicKey: createSoftCompanion().publicKey, name: 'Bob phone', subscription: null })).status).toBe(201);
    expect((await api(h, 'POST', '/enroll', { token: t, publicKey: createSoftCompanion().publicKey, name: 'Again', subscription: null })).status).toBe(410);
    const listed = await bob.get('/methods');
    expect(listed.body).toContain('Bob phone');
    expect(listed.body).not.toContain('Again');
  });

  it('removing a phone on My sign-in methods removes its offline codes too, audited', async () => {
    const phone = await enrollPhone(h, 'alice', { name: 'To remove' });
    const device = (await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!;
    // A fresh second factor for alice: the phone's own offline code.
    const otp = (await h.gateway.ctx.storage.otpDevices.get(device.otpDeviceId!))!;
    const user = browser(h, await h.signIn('alice'));
    const page = await user.get('/second-factor');
    const code = generateTotp(otp.secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' });
    expect((await user.post('/second-factor', { csrf: csrfFieldOf(page.body)!, device: otp.id, code })).status).toBe(303);
    // Alice's first phone came with recovery codes, shown on her first visit that may change factors.
    expect((await user.get('/methods')).headers.location).toBe('/methods/recovery-codes/new');
    expect((await user.get('/methods/recovery-codes/new')).body).toContain('<ol class="codes"');
    const methods = await user.get('/methods');
    const csrf = csrfFieldOf(methods.body)!;
    // The phone's offline codes are part of the phone: not listed as an app, not removable alone.
    expect(methods.body).not.toContain(`value="${otp.id}"`);
    const half = await user.post('/methods/remove', { csrf, device: otp.id });
    expect(half.status).toBe(400);
    expect(await h.gateway.ctx.storage.otpDevices.get(otp.id)).toBeDefined();
    const other = await user.post('/methods/push/remove', { csrf, device: 'not-mine' });
    expect(other.status).toBe(400);
    const removed = await user.post('/methods/push/remove', { csrf, device: phone.deviceId });
    expect([removed.status, removed.headers.location]).toEqual([303, '/methods?notice=push_removed']);
    expect(await h.gateway.ctx.storage.pushDevices.get(phone.deviceId)).toBeUndefined();
    expect(await h.gateway.ctx.storage.otpDevices.get(otp.id)).toBeUndefined();
    expect((await h.gateway.ctx.storage.auditEvents.query({ kind: 'push.removed', subject: 'alice', limit: 5 })).length).toBe(1);
  });

  it('renaming a phone on My sign-in methods renames its offline codes too; only one’s own, a valid name, a fresh factor', async () => {
    const phone = await enrollPhone(h, 'alice', { name: 'Old name' });
    const device = (await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!;
    const otp = (await h.gateway.ctx.storage.otpDevices.get(device.otpDeviceId!))!;
    const bobPhone = await enrollPhone(h, 'bob', { name: 'Bob phone' });
    const user = browser(h, await h.signIn('alice'));

    // Password only: no change to sign-in methods without a fresh second factor.
    const page = await user.get('/second-factor');
    const stale = await user.post('/methods/push/rename', { csrf: csrfFieldOf(page.body)!, device: phone.deviceId, name: 'Thief phone' });
    expect([stale.status, stale.headers.location]).toEqual([303, '/methods?notice=needs_fresh_factor']);
    expect((await user.get('/methods')).body).not.toContain('methods/push/rename');

    const code = generateTotp(otp.secret, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' });
    expect((await user.post('/second-factor', { csrf: csrfFieldOf(page.body)!, device: otp.id, code })).status).toBe(303);
    const methods = await user.get('/methods');
    const csrf = csrfFieldOf(methods.body)!;
    expect(methods.body).toContain('action="/methods/push/rename"');
    expect((await user.post('/methods/push/rename', { csrf: 'forged', device: phone.deviceId, name: 'x' })).status).toBe(403);
    for (const name of ['', '   ', 'x'.repeat(65), 'a\tb'])
      expect((await user.post('/methods/push/rename', { csrf, device: phone.deviceId, name })).status, JSON.stringify(name)).toBe(400);
    for (const id of [bobPhone.deviceId, otp.id, 'not-mine']) expect((await user.post('/methods/push/rename', { csrf, device: id, name: 'Mine now' })).status, id).toBe(400);
    expect((await h.gateway.ctx.storage.pushDevices.get(bobPhone.deviceId))!.name).toBe('Bob phone');
    expect((await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!.name).toBe('Old name');

    const renamed = await user.post('/methods/push/rename', { csrf, device: phone.deviceId, name: '  Work phone ' });
    expect([renamed.status, renamed.headers.location]).toEqual([303, '/methods?notice=renamed']);
    expect((await h.gateway.ctx.storage.pushDevices.get(phone.deviceId))!.name).toBe('Work phone');
    expect((await h.gateway.ctx.storage.otpDevices.get(otp.id))!.name).toBe('Work phone');
    expect((await user.get('/methods')).body).toMatch(/<h3 id="phone-\d+-name">Work phone<\/h3>/);
    const events = await h.gateway.ctx.storage.auditEvents.query({ kind: 'factor.renamed', subject: 'alice', limit: 5 });
    expect(events.map((e) => e.details)).toEqual([expect.objectContaining({ kind: 'push', device: phone.deviceId })]);
  });
});
