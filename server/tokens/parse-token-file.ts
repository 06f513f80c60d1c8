import type { TokenParseResult } from './imported-token.js';
import { detectTokenFormat, type TokenFileFormat } from './import-tokens.js';
import { parseTokenCsv } from './parse-token-csv.js';

/** What unlocks a protected PSKC file; a CSV file has no protection. */
export interface TokenFileSecrets {
  password?: string;
  preSharedKey?: Buffer;
}

/**
 * The checked tokens of a file's text, as `gatehouse tokens import` and the console read it.
 * The PSKC reader (and its XML parser) loads on the first PSKC file, not when the gateway starts.
 */
export async function parseTokenFile(text: string, format: TokenFileFormat, secrets: TokenFileSecrets = {}): Promise<TokenParseResult> {
  if (format === 'csv') return parseTokenCsv(text);
  const { parsePskc } = await import('./parse-pskc.js');
  return parsePskc(text, secrets);
}

export type UploadedTokenFile = { ok: true; format: TokenFileFormat; text: string } | { ok: false };

/**
 * Tells the format of an uploaded file: its name's extension when it has a known one, else its
 * content (XML starts with "<"; a CSV token file with its "serial," header). UTF-8 text only: a
 * binary file (invalid UTF-8, or a NUL byte) is neither.
 */
export function recognizeTokenFile(filename: string, content: Buffer): UploadedTokenFile {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return { ok: false };
  }
  if (text.includes('\0')) return { ok: false };
  const byName = detectTokenFormat(filename);
  if (byName) return { ok: true, format: byName, text };
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('<')) return { ok: true, format: 'pskc', text };
  if (/^"?serial"?\s*,/i.test(start)) return { ok: true, format: 'csv', text };
  return { ok: false };
}
