import { hashToken, randomToken } from '../../core/random.js';
import type { PushAppLock, PushDevice } from '../../storage/storage.js';
import { appLockRegistrationOptions, verifyAppLockRegistration } from './app-lock.js';
import { encodeBase32 } from '../otp/base32.js';
import { generateOtpSecret } from '../otp/otp-secret.js';
import type { PushDeps, RequestMeta } from './push-deps.js';
import { allowsLoopbackPush, hasOnlyKeys, isPlainObject, parseDeviceName, parseDevicePublicKey, parseSubscription } from './push-wire.js';

const enrollKey = (token: string) => `push:enroll:${hashToken(token)}`;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** "Add phone": a single-use link for the companion, valid push.enrollment_ttl. Only its hash is stored. */
export async function startPushEnrollment(deps: Pick<PushDeps, 'kv' | 'clock' | 'config' | 'portalUrl'>, username: string) {
  const token = randomToken(32);
  await deps.kv.set(enrollKey(token), JSON.stringify({ username }), deps.config.enrollment_ttl);
  return { token, link: new URL(`companion/#enroll=${token}`, deps.portalUrl).href, expiresAt: deps.clock.now() + deps.config.enrollment_ttl * 1000 };
}

export type PushEnrollResult =
  | { ok: true; device: PushDevice; totp: { secret: string; digits: number; period: number; algorithm: string } }
  | { ok: false; reason: 'malformed' | 'enrollment_expired' | 'app_lock_required' | 'app_lock_refused' };

/**
 * The app lock's credential options for a still-valid enrollment link (the link is not spent:
 * the enrollment that follows spends it). Undefined for an unknown, used or expired link, or
 * when the app lock is off.
 */
export async function startAppLockEnrollment(deps: PushDeps, token: unknown) {
  if (!deps.appLock || typeof token !== 'string' || !TOKEN.test(token)) return undefined;
  const raw = await deps.kv.get(enrollKey(token));
  if (raw === null) return undefined;
  const { username } = JSON.parse(raw) as { username: string };
  return appLockRegistrationOptions(deps, deps.appLock, token, username);
}

/**
 * The phone registers itself with the link's token. The body is checked whole before the token
 * is taken, so a malformed request neither stores anything nor burns the link; an unknown, used
 * or expired token is one answer, and counts as a failed attempt from that address.
 */
export async function enrollPushDevice(deps: PushDeps, body: unknown, meta: RequestMeta): Promise<PushEnrollResult> {
  if (!isPlainObject(body) || !hasOnlyKeys(body, ['token', 'publicKey', 'name', 'subscription', 'appLock'])) return { ok: false, reason: 'malformed' };
  const key = parseDevicePublicKey(body.publicKey);
  const name = parseDeviceName(body.name);
  const subscription =
    body.subscription === null ? null : parseSubscription(body.subscription, { allowLoopback: allowsLoopbackPush(deps.portalUrl), services: deps.config.push_services });
  if (typeof body.token !== 'string' || !TOKEN.test(body.token) || !key || !name || subscription === undefined) return { ok: false, reason: 'malformed' };
  // With the app lock required, the phone proves its lock before the link is spent: a phone
  // without one can be told so, and the user can set one up and use the same link again.
  let appLock: PushAppLock | null = null;
  if (deps.appLock) {
    if (body.appLock === undefined || body.appLock === null) return { ok: false, reason: 'app_lock_required' };
    // An unknown link gets the same answer as without the lock (below), not a lock refusal.
    if ((await deps.kv.get(enrollKey(body.token))) !== null) {
      const verified = await verifyAppLockRegistration(deps, deps.appLock, body.token, body.appLock);
      if (!verified.ok) return verified;
      appLock = verified.lock;
    }
  }

  const raw = await deps.kv.take(enrollKey(body.token), { replicated: true });
  if (raw === null) {
    await deps.regulator.recordFailure({ kind: 'enrollment_code', ip: meta.clientIp });
    return { ok: false, reason: 'enrollment_expired' };
  }
  // The link was unknown when the lock was checked, yet taken now (it raced in): never a phone without its lock.
  if (deps.appLock && !appLock) return { ok: false, reason: 'app_lock_refused' };
  const { username } = JSON.parse(raw) as { username: string };
  const now = deps.clock.now();
  const totp = deps.totp;
  // The offline codes are an ordinary TOTP device: confirmed, since the secret goes straight into the app.
  const otp = await deps.storage.otpDevices.create(
    { username, kind: 'totp', name, secret: generateOtpSecret(totp.algorithm), algorithm: totp.algorithm, digits: totp.digits, period: totp.period, serial: null, confirmed: true },
    now,
  );
  const device = await deps.storage.pushDevices.create(
    { username, name, publicKey: key.der, subscription: subscription && JSON.stringify(subscription), otpDeviceId: otp.id, appLock },
    now,
  );
  await deps.audit.record({
    kind: 'push.enrolled',
    subject: username,
    clientIp: meta.clientIp,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    details: { device: device.id, kind: 'push', ...(appLock ? { credential: appLock.credentialId } : {}) },
    message: 'phone enrolled for push approval',
  });
  return { ok: true, device, totp: { secret: encodeBase32(otp.secret), digits: otp.digits, period: otp.period, algorithm: otp.algorithm } };
}
