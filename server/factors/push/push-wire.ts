import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * What the companion sends, checked before anything is stored or looked up: strict base64url,
 * a P-256 SPKI key, a Web Push subscription whose endpoint the gateway may post to.
 */

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Strict unpadded base64url: only the canonical spelling of the bytes decodes. */
export function decodeBase64url(value: unknown, maxChars = 4096): Buffer | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxChars || !B64URL.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.toString('base64url') === value ? bytes : undefined;
}

/** The device's signing key: an EC P-256 SubjectPublicKeyInfo, exactly (no trailing bytes). */
export function parseDevicePublicKey(value: unknown): { der: Buffer; key: KeyObject } | undefined {
  const der = decodeBase64url(value, 400);
  if (!der) return undefined;
  const key = loadSpki(der);
  return key && { der, key };
}

export function loadSpki(der: Buffer): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return undefined;
    return key.export({ format: 'der', type: 'spki' }).equals(der) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** ECDSA P-256 / SHA-256 over `text`, signature raw r‖s (what WebCrypto produces), base64url. */
export function verifyDeviceSignature(key: KeyObject, text: string, signature: unknown): boolean {
  const sig = decodeBase64url(signature, 100);
  if (sig?.length !== 64) return false;
  try {
    return verify('sha256', Buffer.from(text, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

export interface PushSubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

const LOOPBACK = /^(localhost|[a-z0-9-]+\.localhost|127\.0\.0\.1|\[::1\])$/;

/** Whether a portal URL is a developer's http://localhost one: only then may push endpoints be plain http on loopback. */
export function allowsLoopbackPush(portalUrl: URL): boolean {
  return portalUrl.protocol === 'http:' && LOOPBACK.test(portalUrl.hostname);
}

/**
 * A Web Push subscription as the browser serializes it: endpoint https:// to a host name (http on
 * loopback only for a local portal), no credentials in it; p256dh an uncompressed P-256 point,
 * auth 16 bytes.
 * Returns the canonical JSON to store, or undefined.
 */
export function parseSubscription(value: unknown, options: { allowLoopback: boolean; services: readonly string[] }): PushSubscriptionJson | undefined {
  if (!isPlainObject(value) || !hasOnlyKeys(value, ['endpoint', 'keys', 'expirationTime'])) return undefined;
  const { endpoint, keys } = value;
  if (typeof endpoint !== 'string' || endpoint.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.hash) return undefined;
  const local = options.allowLoopback && url.protocol === 'http:' && LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !local) return undefined;
  // Push services have DNS names; an address literal would only point the gateway at some internal host.
  if (!local && (isIP(url.hostname) !== 0 || url.hostname.startsWith('['))) return undefined;
  // Only the push services the security team lists: the gateway makes requests to this URL.
  if (!local && !options.services.some((pattern) => hostMatches(url.hostname, pattern))) return undefined;
  if (!isPlainObject(keys) || !hasOnlyKeys(keys, ['p256dh', 'auth'])) return undefined;
  const p256dh = decodeBase64url(keys.p256dh, 100);
  const auth = decodeBase64url(keys.auth, 40);
  if (!p256dh || !auth || auth.length !== 16 || !isP256Point(p256dh)) return undefined;
  return { endpoint: url.href, keys: { p256dh: keys.p256dh as string, auth: keys.auth as string } };
}

/** "host", "*.domain" (subdomains only) or "*". */
export function hostMatches(hostname: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1)) && hostname.length > pattern.length - 1;
  return hostname === pattern;
}

function isP256Point(point: Buffer): boolean {
  if (point.length !== 65 || point[0] !== 0x04) return false;
  try {
    // The JWK import checks that the point lies on the curve.
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
    return true;
  } catch {
    return false;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

export function hasOnlyKeys(value: Record<string, unknown>, allowed: readonly string[]): boolean {
  return Object.keys(value).every((key) => allowed.includes(key));
}

/** A name a person typed: 1-64 characters after trimming, no control characters. */
export function parseDeviceName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  if (name.length === 0 || [...name].length > 64 || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) return undefined;
  return name;
}
