import { extname } from 'node:path';
import { DuplicateSerialError, type OtpDeviceStore } from '../storage/storage.js';
import { toNewOtpDevice, type ImportedToken } from './imported-token.js';

export type TokenFileFormat = 'pskc' | 'csv';

// Maps, not object literals: a lookup of "constructor" must not find Object.prototype's.
const EXTENSIONS: ReadonlyMap<string, TokenFileFormat> = new Map([
  ['.pskc', 'pskc'],
  ['.pskcxml', 'pskc'],
  ['.xml', 'pskc'],
  ['.csv', 'csv'],
]);

/** The format a file's extension names, if any (.pskc, .pskcxml, .xml, .csv). */
export function detectTokenFormat(path: string): TokenFileFormat | undefined {
  return EXTENSIONS.get(extname(path).toLowerCase());
}

/** A pre-shared AES key as written in a key file: hex or base64 of 16, 24 or 32 bytes. */
export function decodePreSharedKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^(?:[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
    const key = Buffer.from(value, 'base64');
    if ([16, 24, 32].includes(key.length)) return key;
  }
  return undefined;
}

export type ImportResult = { ok: true; count: number } | { ok: false; errors: string[] };

/**
 * Stores parsed tokens in one transaction. Serials already in storage are found first so the
 * administrator gets a list instead of a constraint error; the transaction still guards a
 * concurrent import.
 */
export async function importTokens(store: OtpDeviceStore, tokens: readonly ImportedToken[], now: number): Promise<ImportResult> {
  const existing = new Set((await store.listTokens()).map((device) => device.serial));
  const errors = tokens.filter((token) => existing.has(token.serial)).map((token) => `serial ${token.serial} is already imported`);
  if (errors.length > 0) return { ok: false, errors };
  try {
    await store.importTokens(tokens.map(toNewOtpDevice), now);
  } catch (error) {
    // The batch is one transaction: a failure leaves nothing behind. A concurrent import
    // can still take a serial between the check above and the write.
    if (error instanceof DuplicateSerialError) return { ok: false, errors: [`serial ${error.serial} is already imported`] };
    return { ok: false, errors: [`storage refused the batch: ${(error as Error).message}`] };
  }
  return { ok: true, count: tokens.length };
}
