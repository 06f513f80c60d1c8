import { hashToken, randomToken } from '../../core/random.js';
import type { PushDevice } from '../../storage/storage.js';
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
  | { ok: false; reason: 'malformed' | 'enrollment_expired' };

/**
 * The phone registers itself with the link's token. The body is checked whole before the token
 * is taken, so a malformed request neither stores anything nor burns the link; an unknown, used
 * or expired token is one answer, and counts as a failed attempt from that address.
 */
export async function enrollPushDevice(deps: PushDeps, body: unknown, meta: RequestMeta): Promise<PushEnrollResult> {
  if (!isPlainObject(body) || !hasOnlyKeys(body, ['token', 'publicKey', 'name', 'subscription'])) return { ok: false, reason: 'malformed' };
  const key = parseDevicePublicKey(body.publicKey);
  const name = parseDeviceName(body.name);
  const subscription =
    body.subscription === null ? null : parseSubscription(body.subscription, { allowLoopback: allowsLoopbackPush(deps.portalUrl), services: deps.config.push_services });
  if (typeof body.token !== 'string' || !TOKEN.test(body.token) || !key || !name || subscription === undefined) return { ok: false, reason: 'malformed' };

  const raw = await deps.kv.take(enrollKey(body.token));
  if (raw === null) {
    await deps.regulator.recordFailure({ kind: 'enrollment_code', ip: meta.clientIp });
    return { ok: false, reason: 'enrollment_expired' };
  }
  const { username } = JSON.parse(raw) as { username: string };
  const now = deps.clock.now();
  const totp = deps.totp;
  // The offline codes are an ordinary TOTP device: confirmed, since the secret goes straight into the app.
  const otp = await deps.storage.otpDevices.create(
    { username, kind: 'totp', name, secret: generateOtpSecret(totp.algorithm), algorithm: totp.algorithm, digits: totp.digits, period: totp.period, serial: null, confirmed: true },
    now,
  );
  const device = await deps.storage.pushDevices.create(
    { username, name, publicKey: key.der, subscription: subscription && JSON.stringify(subscription), otpDeviceId: otp.id },
    now,
  );
  await deps.audit.record({
    kind: 'push.enrolled',
    subject: username,
    clientIp: meta.clientIp,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    details: { device: device.id, kind: 'push' },
    message: 'phone enrolled for push approval',
  });
  return { ok: true, device, totp: { secret: encodeBase32(otp.secret), digits: otp.digits, period: otp.period, algorithm: otp.algorithm } };
}
