import { createECDH, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { answerText, authorizationHeader } from '../../../../client/companion/push-wire-format.js';
import { signedRequestText } from '../device-auth.js';

/**
 * The companion app in Node, for tests: a P-256 device key that signs as WebCrypto does (raw
 * r‖s), the Authorization header of device calls, signed answers, and optionally a Web Push
 * subscription whose private half the test keeps to decrypt what the gateway sends.
 */
export function createSoftCompanion(options: { endpoint?: string } = {}) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const signText = (text: string, key: KeyObject = privateKey) => sign('sha256', Buffer.from(text, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  let deviceId = '';

  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64url'),
    privateKey,
    get deviceId() {
      return deviceId;
    },
    set deviceId(id: string) {
      deviceId = id;
    },
    subscription: options.endpoint ? { endpoint: options.endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } } : null,
    /** What the test needs to decrypt a Web Push body (RFC 8291). */
    pushKeys: { ecdh, auth },
    signText,
    authorization(method: string, path: string, body = '', t = Date.now()) {
      return authorizationHeader({ id: deviceId, t, sig: signText(signedRequestText({ method, path, t, body: Buffer.from(body) })) });
    },
    query(path: string, t = Date.now()) {
      return new URLSearchParams({ id: deviceId, t: String(t), sig: signText(signedRequestText({ method: 'GET', path, t, body: Buffer.alloc(0) })) }).toString();
    },
    answer(approvalId: string, decision: 'approve' | 'deny' | 'not_me', number = '', time = Date.now()) {
      return { deviceId, decision, number, time, signature: signText(answerText({ approvalId, decision, number, time })) };
    },
  };
}

export type SoftCompanion = ReturnType<typeof createSoftCompanion>;

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('base64url');
