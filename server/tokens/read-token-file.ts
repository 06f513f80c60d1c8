import { readFile, stat } from 'node:fs/promises';
import { MAX_TOKEN_FILE_BYTES, type ImportedToken, type TokenParseResult } from './imported-token.js';
import { decodePreSharedKey, detectTokenFormat } from './import-tokens.js';
import { parseTokenFile } from './parse-token-file.js';
import type { PromptResult } from './prompt-password.js';

export interface TokenFileOptions {
  /** pskc or csv; when absent, the file's extension decides. */
  format?: string;
  /** A file holding the PSKC password (one trailing line ending is not part of it). */
  passwordFile?: string;
  /** A file holding the PSKC pre-shared key, hex or base64. */
  keyFile?: string;
  /** Asked when the PSKC file needs a password and no file gave one. */
  askPassword?: () => Promise<PromptResult>;
}

export type ReadTokenFileResult =
  | { ok: true; tokens: ImportedToken[]; notes: string[] }
  /** `usage`: the command line is wrong; `refused`: the file (or its password or key) is. */
  | { ok: false; kind: 'usage' | 'refused'; errors: string[] };

const MAX_KEY_FILE_BYTES = 4096;

/** Reads, decrypts and checks a token file: every token, or every reason why not. */
export async function readTokenFile(path: string, options: TokenFileOptions): Promise<ReadTokenFileResult> {
  const usage = (message: string): ReadTokenFileResult => ({ ok: false, kind: 'usage', errors: [message] });
  const refused = (errors: string[]): ReadTokenFileResult => ({ ok: false, kind: 'refused', errors });
  const format = options.format ?? detectTokenFormat(path);
  if (options.format !== undefined && format !== 'pskc' && format !== 'csv') return usage('--format must be pskc or csv');
  if (format === undefined) return usage(`cannot tell the format of ${path} from its extension; give --format pskc or csv`);
  if (format === 'csv' && (options.passwordFile ?? options.keyFile) !== undefined) return usage('--password-file and --key-file are for PSKC files');

  const text = await readSmallFile(path, MAX_TOKEN_FILE_BYTES);
  if (!text.ok) return refused([text.error]);
  if (format === 'csv') return checked(await parseTokenFile(text.value, 'csv'));

  let password: string | undefined;
  if (options.passwordFile !== undefined) {
    const content = await readSmallFile(options.passwordFile, MAX_KEY_FILE_BYTES);
    if (!content.ok) return refused([content.error]);
    password = content.value.replace(/\r?\n$/, '');
    if (password === '') return refused([`${options.passwordFile} is empty`]);
  }
  let preSharedKey: Buffer | undefined;
  if (options.keyFile !== undefined) {
    const content = await readSmallFile(options.keyFile, MAX_KEY_FILE_BYTES);
    if (!content.ok) return refused([content.error]);
    preSharedKey = decodePreSharedKey(content.value);
    if (!preSharedKey) return refused([`${options.keyFile} must hold a 128-, 192- or 256-bit key as hex or base64`]);
  }

  let result = await parseTokenFile(text.value, 'pskc', { password, preSharedKey });
  if (!result.ok && result.needs === 'password' && password === undefined && options.askPassword) {
    const answer = await options.askPassword();
    if (!answer.ok) return refused([answer.reason === 'too-long' ? 'the password given is too long' : 'no password was given']);
    result = await parseTokenFile(text.value, 'pskc', { password: answer.password, preSharedKey });
  }
  if (!result.ok && result.needs === 'pre-shared-key') result.errors.push('give the key with --key-file FILE (hex or base64)');
  if (!result.ok && result.needs === 'password') result.errors.push('give the password with --password-file FILE or at the prompt');
  return checked(result);
}

function checked(result: TokenParseResult): ReadTokenFileResult {
  return result.ok ? result : { ok: false, kind: 'refused', errors: result.errors };
}

/** Checks the size before reading: a mistaken path to a disk image is not read into memory. */
async function readSmallFile(path: string, maxBytes: number): Promise<{ ok: true; value: string } | { ok: false; error: string }> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, error: `${path} is not a regular file` };
    if (info.size > maxBytes) return { ok: false, error: `${path} is larger than ${maxBytes} bytes` };
    return { ok: true, value: await readFile(path, 'utf8') };
  } catch (error) {
    return { ok: false, error: `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}
