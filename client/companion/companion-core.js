/**
 * The companion's pure parts: TOTP on WebCrypto HMAC, base32 and base64url, the texts the device
 * key signs (from push-wire-format.js, which the gateway imports too), the clock offset and the
 * countdown ring.
 * No DOM, no storage: app.js and the unit tests both load this file as is.
 */

/** |offset| above this: the phone's clock is wrong enough to warn (the codes still use the offset). */
export const CLOCK_WARNING_MS = 3 * 60 * 1000;
/** The countdown ring is drawn as this many segments, each period/10 long. */
export const RING_SEGMENTS = 10;

const HMAC_HASHES = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' };
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const encoder = new TextEncoder();

// The texts the device key signs, the Authorization header and the number's format: one file
// shared with the gateway.
export { answerText, appLockChallenge, authorizationHeader, deviceRequestText, normalizeNumber, signedQuery } from './push-wire-format.js';

/** RFC 4648 base32 (the TOTP seed): case, spaces and '=' padding are forgiven; anything else throws. */
export function decodeBase32(text) {
  const clean = String(text).toUpperCase().replace(/[\s=]/g, '');
  const out = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) throw new RangeError('not base32');
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return new Uint8Array(out);
}

export function encodeBase32(bytes) {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** base64url without padding, as everywhere in the contract. */
export function encodeBase64Url(input) {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new RangeError('not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The RFC 6238 time step of `timeMs`. */
export function totpCounter(timeMs, period) {
  return Math.floor(timeMs / 1000 / period);
}

/** RFC 4226 HOTP of `counter` with WebCrypto HMAC: `secret` raw bytes, algorithm SHA1/SHA256/SHA512, 6 or 8 digits. */
export async function generateHotp(secret, counter, { algorithm, digits }) {
  const hash = HMAC_HASHES[algorithm];
  if (!hash) throw new RangeError(`unsupported algorithm ${algorithm}`);
  if (digits !== 6 && digits !== 8) throw new RangeError(`unsupported digits ${digits}`);
  const message = new Uint8Array(8);
  // Counters pass 2^32 only far in the future, but split anyway: JS bit operators are 32-bit.
  new DataView(message.buffer).setUint32(0, Math.floor(counter / 2 ** 32));
  new DataView(message.buffer).setUint32(4, counter >>> 0);
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = new DataView(mac.buffer).getUint32(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 TOTP at `timeMs` (already corrected by the clock offset). */
export function generateTotp(secret, timeMs, { algorithm, digits, period }) {
  return generateHotp(secret, totpCounter(timeMs, period), { algorithm, digits });
}

/** Milliseconds left in the current period at `timeMs`. */
export function msRemaining(timeMs, period) {
  const periodMs = period * 1000;
  return periodMs - (((timeMs % periodMs) + periodMs) % periodMs);
}

/** How many of the ring's 10 segments are still lit: each one stands for period/10 of the time left. */
export function litSegments(timeMs, period) {
  return Math.ceil((msRemaining(timeMs, period) / (period * 1000)) * RING_SEGMENTS);
}

/** offset = serverTime − local now, learned from every answer carrying serverTime. */
export function clockOffset(serverTime, localNow) {
  return serverTime - localNow;
}

export function isClockWrong(offsetMs) {
  return Math.abs(offsetMs) > CLOCK_WARNING_MS;
}

export async function sha256Base64Url(body) {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return encodeBase64Url(await crypto.subtle.digest('SHA-256', bytes));
}

/** zh-TW, zh-Hant and zh-HK read Traditional Chinese; everyone else English. */
export function pickLocale(languages) {
  for (const tag of languages) {
    const lower = String(tag).toLowerCase();
    if (lower === 'zh-tw' || lower === 'zh-hk' || lower === 'zh-mo' || lower.startsWith('zh-hant')) return 'zh-TW';
    if (lower === 'en' || lower.startsWith('en-') || lower.startsWith('zh')) return 'en';
  }
  return 'en';
}

/** What `#enroll=…` or `#approval=…` in the address asks for. */
export function parseHash(hash) {
  const params = new URLSearchParams(String(hash).replace(/^#/, ''));
  const enroll = params.get('enroll');
  if (enroll && /^[A-Za-z0-9_-]{16,128}$/.test(enroll)) return { kind: 'enroll', token: enroll };
  const approval = params.get('approval');
  if (approval && /^[A-Za-z0-9_-]{1,128}$/.test(approval)) return { kind: 'approval', approvalId: approval };
  return { kind: 'none' };
}
