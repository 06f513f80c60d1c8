import type { NewOtpDevice, OtpAlgorithm, OtpKind } from '../storage/storage.js';

/** One hardware token read from a vendor's file, checked and ready to store. */
export interface ImportedToken {
  serial: string;
  kind: OtpKind;
  secret: Buffer;
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
  /** TOTP step in seconds; HOTP tokens carry 30, which nothing reads. */
  period: number;
  /** HOTP: the next counter value; TOTP: 0. */
  counter: number;
}

export type TokenParseResult =
  /** `notes`: what the administrator should know although nothing is wrong (what was skipped, what was not checked). */
  | { ok: true; tokens: ImportedToken[]; notes: string[] }
  | {
      ok: false;
      errors: string[];
      /** Set when the file is readable except for its protection: ask for this and try again. */
      needs?: 'password' | 'pre-shared-key';
    };

/** A vendor file holds a few thousand tokens at most; more is a mistake or an attack. */
export const MAX_TOKEN_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_TOKENS_PER_FILE = 10_000;

/**
 * 128 bits: NIST's floor is 112; hardware tokens ship 160 (SHA1) or more. Shorter seeds are
 * refused, not padded, since the token computes its codes from exactly the seed it holds.
 */
export const MIN_SECRET_BYTES = 16;
/** HMAC hashes longer keys first; 64 bytes is the SHA512 block, so nothing real is longer. */
export const MAX_SECRET_BYTES = 64;

/** Printed on the token's back and typed by administrators: letters, digits and a few separators. */
const SERIAL = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

export function checkSerial(serial: string): string | undefined {
  return SERIAL.test(serial) ? undefined : 'the serial must be 1-64 letters, digits, ".", "_", ":", "/" or "-"';
}

export function checkSecretLength(secret: Buffer): string | undefined {
  if (secret.length < MIN_SECRET_BYTES) return `the secret is ${secret.length * 8} bits; at least ${MIN_SECRET_BYTES * 8} are required`;
  if (secret.length > MAX_SECRET_BYTES) return `the secret is ${secret.length * 8} bits; at most ${MAX_SECRET_BYTES * 8} are accepted`;
  return undefined;
}

/** Names an entry in an error: "KeyPackage 3 (serial 1234)" or "line 7 (serial 1234)". */
export function entryLabel(entry: string, serial: string | undefined): string {
  if (serial === undefined || serial === '') return entry;
  // Escaped and cut short: a hostile file must not write control characters or a megabyte to the terminal.
  const shown = JSON.stringify(serial.length > 64 ? `${serial.slice(0, 64)}…` : serial).slice(1, -1);
  return `${entry} (serial ${shown})`;
}

/**
 * Case folding for values from a file, ASCII only: toUpperCase() turns "ß" into "SS" and "ſ"
 * into "S", which would let a non-ASCII spelling pass as a valid one.
 */
export function asciiUpperCase(text: string): string {
  return text.replace(/[a-z]/g, (char) => char.toUpperCase());
}

export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]/g, (char) => char.toLowerCase());
}

/** A value from the file, quoted for an error message: escaped, and cut short. */
export function quoteValue(value: string | undefined): string {
  const text = value ?? '';
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** Returns errors for serials that appear more than once, naming every place after the first. */
export function findDuplicateSerials(entries: ReadonlyArray<{ label: string; serial: string }>): string[] {
  const first = new Map<string, string>();
  const errors: string[] = [];
  for (const { label, serial } of entries) {
    const seen = first.get(serial);
    if (seen === undefined) first.set(serial, label);
    else errors.push(`${label}: serial ${serial} appears again (first in ${seen})`);
  }
  return errors;
}

/** Imported tokens belong to nobody until assigned, and are confirmed: an administrator vouches for them. */
export function toNewOtpDevice(token: ImportedToken): NewOtpDevice {
  return {
    username: null,
    kind: token.kind,
    name: token.serial,
    secret: token.secret,
    algorithm: token.algorithm,
    digits: token.digits,
    period: token.period,
    counter: token.counter,
    serial: token.serial,
    confirmed: true,
  };
}
