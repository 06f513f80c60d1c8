import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, SecretBoxError, type SecretBoxFailure } from './secret-box.js';

const OLD = { id: 'old', key: Buffer.alloc(32, 1) };
const NEW = { id: 'k2026', key: Buffer.alloc(32, 2) };
const SEED = Buffer.from('12345678901234567890');
const CONTEXT = 'otp_device:abc';

function failure(run: () => unknown): SecretBoxFailure | 'opened' {
  try {
    run();
    return 'opened';
  } catch (error) {
    if (error instanceof SecretBoxError) return error.reason;
    throw error;
  }
}

/** Flips one bit of one character's decoded value while keeping the base64url alphabet. */
function flipChar(text: string, index: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const value = alphabet.indexOf(text[index]!);
  return text.slice(0, index) + alphabet[value ^ 0b100000] + text.slice(index + 1);
}

describe('createSecretBox', () => {
  it('round-trips secrets of every length, empty included', () => {
    const box = createSecretBox([NEW]);
    for (const length of [0, 1, 16, 20, 32, 64, 1000]) {
      const secret = randomBytes(length);
      expect(box.open(box.seal(secret, CONTEXT), CONTEXT).equals(secret)).toBe(true);
    }
  });

  it('writes v1.<keyId>.<nonce>.<body> in base64url, with a fresh nonce every time', () => {
    const box = createSecretBox([NEW]);
    const a = box.seal(SEED, CONTEXT);
    const b = box.seal(SEED, CONTEXT);
    expect(a).toMatch(/^v1\.k2026\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(a.split('.')[3]).not.toBe(b.split('.')[3]);
    expect(a).not.toContain(SEED.toString('base64url'));
    expect(Buffer.from(a.split('.')[3]!, 'base64url').length).toBe(SEED.length + 16);
  });

  it('refuses every single-character change to nonce and body', () => {
    const box = createSecretBox([NEW]);
    const sealed = box.seal(SEED, CONTEXT);
    const prefix = 'v1.k2026.'.length;
    const outcomes = new Set<string>();
    for (let i = prefix; i < sealed.length; i++) {
      if (sealed[i] === '.') continue;
      outcomes.add(failure(() => box.open(flipChar(sealed, i), CONTEXT)));
    }
    expect(outcomes.has('opened')).toBe(false);
    expect([...outcomes].every((o) => o === 'unauthentic' || o === 'malformed')).toBe(true);
  });

  it.each([
    ['truncated body (no full tag)', (s: string) => s.slice(0, s.lastIndexOf('.') + 10)],
    [
      'body one byte short',
      (s: string) => {
        const p = s.split('.');
        return [...p.slice(0, 3), Buffer.from(p[3]!, 'base64url').subarray(1).toString('base64url')].join('.');
      },
    ],
    [
      'body one byte longer',
      (s: string) => {
        const p = s.split('.');
        return [...p.slice(0, 3), Buffer.concat([Buffer.from(p[3]!, 'base64url'), Buffer.from([0])]).toString('base64url')].join('.');
      },
    ],
    [
      'tag and ciphertext swapped',
      (s: string) => {
        const p = s.split('.');
        const b = Buffer.from(p[3]!, 'base64url');
        return [...p.slice(0, 3), Buffer.concat([b.subarray(b.length - 16), b.subarray(0, b.length - 16)]).toString('base64url')].join('.');
      },
    ],
    [
      'nonce of 16 bytes',
      (s: string) => {
        const p = s.split('.');
        return [p[0], p[1], randomBytes(16).toString('base64url'), p[3]].join('.');
      },
    ],
    [
      'another nonce',
      (s: string) => {
        const p = s.split('.');
        return [p[0], p[1], randomBytes(12).toString('base64url'), p[3]].join('.');
      },
    ],
    ['version v2', (s: string) => s.replace(/^v1/, 'v2')],
    ['no version', (s: string) => s.slice(3)],
    ['extra part', (s: string) => s + '.AAAA'],
    ['padding added', (s: string) => s + '='],
    ['standard base64 characters', (s: string) => s.replace(/-/g, '+').replace(/_/g, '/') + (/[-_]/.test(s) ? '' : '+')],
    ['whitespace', (s: string) => s.replace('.', ' .')],
    ['empty', () => ''],
    ['key id with a dot', (s: string) => s.replace('k2026', 'k2.26')],
    [
      'non-canonical trailing bits',
      (s: string) => {
        const p = s.split('.');
        const n = p[2]!;
        return [p[0], p[1], n, p[3]!.slice(0, -1) + (p[3]!.endsWith('A') ? 'B' : 'A')].join('.');
      },
    ],
  ])('refuses %s', (_name, mutate) => {
    const box = createSecretBox([NEW]);
    const sealed = box.seal(SEED, CONTEXT);
    const changed = mutate(sealed);
    expect(changed).not.toBe(sealed);
    expect(() => box.open(changed, CONTEXT)).toThrow(SecretBoxError);
  });

  it('refuses a body whose unused trailing bits were changed (same bytes, other spelling)', () => {
    const box = createSecretBox([NEW]);
    const sealed = box.seal(Buffer.alloc(21, 7), CONTEXT); // 37-byte body: 4 unused bits in the last character
    const last = sealed.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = sealed.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 0b0001];
    expect(Buffer.from(respelled.split('.')[3]!, 'base64url').equals(Buffer.from(sealed.split('.')[3]!, 'base64url'))).toBe(true);
    expect(failure(() => box.open(respelled, CONTEXT))).toBe('malformed');
  });

  it.each(['otp_device:abd', 'otp_device:ab', 'otp_device:abc ', 'OTP_DEVICE:abc', '', 'otp_device:abc\0'])('refuses a value moved to context %j', (other) => {
    const box = createSecretBox([NEW]);
    expect(failure(() => box.open(box.seal(SEED, CONTEXT), other))).toBe('unauthentic');
  });

  it('refuses two rows swapping their secrets', () => {
    const box = createSecretBox([NEW]);
    const a = box.seal(Buffer.from('secret of a'), 'otp_device:a');
    const b = box.seal(Buffer.from('secret of b'), 'otp_device:b');
    expect(failure(() => box.open(a, 'otp_device:b'))).toBe('unauthentic');
    expect(failure(() => box.open(b, 'otp_device:a'))).toBe('unauthentic');
  });

  it('names an unknown key id instead of trying another key', () => {
    const sealed = createSecretBox([OLD]).seal(SEED, CONTEXT);
    const error = (() => {
      try {
        createSecretBox([NEW]).open(sealed, CONTEXT);
      } catch (e) {
        return e as SecretBoxError;
      }
    })();
    expect(error).toBeInstanceOf(SecretBoxError);
    expect(error?.reason).toBe('unknown-key');
    expect(error?.keyId).toBe('old');
    expect(error?.message).toContain('"old"');
  });

  it('refuses a value relabelled with another configured key id', () => {
    const box = createSecretBox([NEW, OLD]);
    const sealed = box.seal(SEED, CONTEXT);
    expect(failure(() => box.open(sealed.replace('v1.k2026.', 'v1.old.'), CONTEXT))).toBe('unauthentic');
  });

  it('refuses a value sealed under a different key bearing the same id', () => {
    const sealed = createSecretBox([{ id: 'k2026', key: Buffer.alloc(32, 9) }]).seal(SEED, CONTEXT);
    expect(failure(() => createSecretBox([NEW]).open(sealed, CONTEXT))).toBe('unauthentic');
  });

  it('seals under the first key and opens under any listed key', () => {
    const before = createSecretBox([OLD]);
    const after = createSecretBox([NEW, OLD]);
    const old = before.seal(SEED, CONTEXT);
    expect(after.currentKeyId).toBe('k2026');
    expect(after.open(old, CONTEXT).equals(SEED)).toBe(true);
    expect(after.needsRotation(old)).toBe(true);
    const fresh = after.seal(SEED, CONTEXT);
    expect(after.keyIdOf(fresh)).toBe('k2026');
    expect(after.needsRotation(fresh)).toBe(false);
    expect(failure(() => before.open(fresh, CONTEXT))).toBe('unknown-key');
  });

  it('keeps its own copy of the keys', () => {
    const key = Buffer.alloc(32, 3);
    const box = createSecretBox([{ id: 'a', key }]);
    const sealed = box.seal(SEED, CONTEXT);
    key.fill(0);
    expect(box.open(sealed, CONTEXT).equals(SEED)).toBe(true);
  });

  it.each([
    ['no keys', []],
    ['a short key', [{ id: 'a', key: Buffer.alloc(31) }]],
    ['a long key', [{ id: 'a', key: Buffer.alloc(33) }]],
    ['a duplicate id', [OLD, { id: 'old', key: Buffer.alloc(32, 5) }]],
    ['an id with a dot', [{ id: 'a.b', key: Buffer.alloc(32) }]],
    ['an empty id', [{ id: '', key: Buffer.alloc(32) }]],
  ])('refuses %s', (_name, keys) => expect(() => createSecretBox(keys)).toThrow(RangeError));
});
