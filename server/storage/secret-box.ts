import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest. A sealed value reads `v1.<keyId>.<nonce>.<ciphertext+tag>`
 * (base64url): the key id travels with the ciphertext so old keys keep decrypting after a new
 * one takes over. The caller's context (`otp_device:<id>`) and the header are authenticated
 * but not stored, so a ciphertext copied into another row, or relabelled with another key
 * id, fails to open instead of yielding someone else's secret.
 */

export interface SecretKey {
  id: string;
  key: Buffer;
}

export interface SecretBox {
  seal(plaintext: Buffer, context: string): string;
  open(sealed: string, context: string): Buffer;
  /** The key new seals use: the first configured. */
  readonly currentKeyId: string;
  /** True when `sealed` is under another key than the current one. */
  needsRotation(sealed: string): boolean;
  /** The key id a sealed value names (throws on a malformed value). */
  keyIdOf(sealed: string): string;
}

export type SecretBoxFailure = 'malformed' | 'unknown-key' | 'unauthentic';

/** A sealed value that cannot be opened; never a partial or wrong plaintext. */
export class SecretBoxError extends Error {
  readonly reason: SecretBoxFailure;
  readonly keyId: string | undefined;

  constructor(reason: SecretBoxFailure, message: string, keyId?: string) {
    super(message);
    this.name = 'SecretBoxError';
    this.reason = reason;
    this.keyId = keyId;
  }
}

const VERSION = 'v1';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function createSecretBox(keys: readonly SecretKey[]): SecretBox {
  const first = keys[0];
  if (!first) throw new RangeError('a secret box needs at least one key');
  const byId = new Map<string, Buffer>();
  for (const { id, key } of keys) {
    if (!KEY_ID.test(id)) throw new RangeError(`key id ${JSON.stringify(id)} must be 1-32 letters, digits, "-" or "_"`);
    if (key.length !== 32) throw new RangeError(`key "${id}" must be 32 bytes, got ${key.length}`);
    if (byId.has(id)) throw new RangeError(`key id "${id}" is listed twice`);
    byId.set(id, Buffer.from(key));
  }
  const currentKeyId = first.id;
  const currentKey = byId.get(currentKeyId)!;

  return {
    currentKeyId,
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', currentKey, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(currentKeyId, context));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${currentKeyId}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, context) {
      const parts = parse(sealed);
      const key = byId.get(parts.keyId);
      if (!key) throw new SecretBoxError('unknown-key', `sealed under key "${parts.keyId}", which is not configured`, parts.keyId);
      const decipher = createDecipheriv('aes-256-gcm', key, parts.nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(parts.keyId, context));
      decipher.setAuthTag(parts.body.subarray(parts.body.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(parts.body.subarray(0, parts.body.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new SecretBoxError('unauthentic', 'sealed value fails authentication (tampered, or moved from another record)', parts.keyId);
      }
    },
    needsRotation(sealed) {
      return parse(sealed).keyId !== currentKeyId;
    },
    keyIdOf(sealed) {
      return parse(sealed).keyId;
    },
  };
}

function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`gatehouse-secret\0${VERSION}\0${keyId}\0${context}`, 'utf8');
}

function parse(sealed: string): { keyId: string; nonce: Buffer; body: Buffer } {
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  const [version, keyId, nonceText, bodyText] = parts;
  if (parts.length !== 4 || version !== VERSION || keyId === undefined || !KEY_ID.test(keyId)) {
    throw new SecretBoxError('malformed', 'not a sealed value this version understands');
  }
  const nonce = strictBase64url(nonceText!);
  const body = strictBase64url(bodyText!);
  if (!nonce || nonce.length !== NONCE_BYTES || !body || body.length < TAG_BYTES) {
    throw new SecretBoxError('malformed', 'sealed value has a malformed nonce or body', keyId);
  }
  return { keyId, nonce, body };
}

/** Node's decoder skips junk and ignores stray bits; only the canonical spelling is accepted. */
function strictBase64url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
