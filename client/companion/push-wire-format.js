/**
 * The wire format of push approval, in one place for both ends: the companion loads this file as
 * is (no build step), and the gateway imports the same file (server/factors/push), so what the
 * phone signs and what the gateway checks cannot drift apart. docs/push-api.md describes it.
 *
 * - A device-authenticated call signs `gatehouse-device-v1\n<METHOD>\n<path>\n<t>\n<sha256(body)>`
 *   (path without its query; body hash base64url) and sends `Authorization: Gatehouse-Device
 *   id=…,t=…,sig=…`, or the same three values as query parameters for EventSource.
 * - An answer signs `gatehouse-push-answer-v1\n<approvalId>\n<decision>\n<number>\n<time>`; the
 *   number is "" for deny and not_me.
 * - With the app lock on, an approve also carries a WebAuthn assertion whose challenge is
 *   appLockChallenge(answer text): bound to that approval, decision, number and time.
 * - An approval, as the phone is shown it, has exactly APPROVAL_FIELDS; its id is 22 base64url
 *   characters (16 random bytes); its number two digits 10–99, shown on the sign-in page only.
 */

export const DEVICE_REQUEST_VERSION = 'gatehouse-device-v1';
export const ANSWER_VERSION = 'gatehouse-push-answer-v1';
export const AUTHORIZATION_SCHEME = 'Gatehouse-Device';
export const APP_LOCK_VERSION = 'gatehouse-push-app-lock-v1';

export const DECISIONS = Object.freeze(['approve', 'deny', 'not_me']);
export const APPROVAL_FIELDS = Object.freeze(['approvalId', 'username', 'site', 'requestedAt', 'expiresAt', 'ip', 'browser', 'os']);
export const APPROVAL_ID = /^[A-Za-z0-9_-]{22}$/;

const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const TIME = /^\d{1,15}$/;
/** A raw P-256 signature (r‖s, 64 bytes) in base64url. */
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
const HEADER = /^Gatehouse-Device id=([A-Za-z0-9_-]{1,64}), ?t=(\d{1,15}), ?sig=([A-Za-z0-9_-]{86})$/;

/** The text of a device-authenticated call: the path is without its query. */
export function deviceRequestText({ method, path, t, bodyHash }) {
  return `${DEVICE_REQUEST_VERSION}\n${method.toUpperCase()}\n${path}\n${t}\n${bodyHash}`;
}

/** The text of an answer; the number is "" for deny and not_me. */
export function answerText({ approvalId, decision, number, time }) {
  return `${ANSWER_VERSION}\n${approvalId}\n${decision}\n${decision === 'approve' ? number : ''}\n${time}`;
}

/**
 * The WebAuthn challenge of an approval's app-lock assertion: base64url(SHA-256) of the answer's
 * text under its own prefix. The assertion thus proves user verification for this answer only;
 * the approval id is random and single use, so an assertion cannot serve twice.
 */
export async function appLockChallenge(answer) {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${APP_LOCK_VERSION}\n${answer}`));
  let binary = '';
  for (const byte of new Uint8Array(digest)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function authorizationHeader({ id, t, sig }) {
  return `${AUTHORIZATION_SCHEME} id=${id},t=${t},sig=${sig}`;
}

/** `Authorization: Gatehouse-Device id=…,t=…,sig=…` read back; undefined unless exactly that. */
export function parseAuthorizationHeader(header) {
  const match = typeof header === 'string' ? HEADER.exec(header) : null;
  return match ? { id: match[1], t: Number(match[2]), sig: match[3] } : undefined;
}

/** The same three values in a query, for EventSource (which cannot send headers). */
export function signedQuery({ id, t, sig }) {
  return `?${new URLSearchParams({ id, t: String(t), sig }).toString()}`;
}

/** The query's three values read back (as a parsed query object); undefined unless all are well formed. */
export function parseSignedQuery(query) {
  const { id, t, sig } = query ?? {};
  if (typeof id !== 'string' || typeof t !== 'string' || typeof sig !== 'string' || !DEVICE_ID.test(id) || !TIME.test(t) || !SIGNATURE.test(sig)) return undefined;
  return { id, t: Number(t), sig };
}

/** Two digits 10–99, as the sign-in page shows them; the field forgives spaces around them. */
export function normalizeNumber(text) {
  const trimmed = String(text).trim();
  return /^[1-9][0-9]$/.test(trimmed) ? trimmed : undefined;
}
