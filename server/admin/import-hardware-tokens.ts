import type { TokenFileFormat } from '../tokens/import-tokens.js';
import { decodePreSharedKey, importTokens } from '../tokens/import-tokens.js';
import { MAX_TOKEN_FILE_BYTES } from '../tokens/imported-token.js';
import { parseTokenFile, recognizeTokenFile } from '../tokens/parse-token-file.js';
import type { Actor, AdminDeps } from './admin-deps.js';
import { recordAdminAction } from './admin-deps.js';

/** A token file as uploaded, with what unlocks it when it is a protected PSKC file. */
export interface TokenUpload {
  filename: string;
  content: Buffer;
  /** PSKC password (§6.2); empty means none given. */
  password: string;
  /** PSKC pre-shared key (§6.1) as hex or base64; empty means none given. */
  preSharedKey: string;
}

export type ImportUploadResult =
  | { ok: true; format: TokenFileFormat; count: number; hotp: number; totp: number; notes: string[] }
  /**
   * `empty`, `too_large`, `not_token_file`: the file as a whole; `bad_key`: the pre-shared key
   * given is not a key; `needs_password` / `needs_key`: the PSKC file is protected;
   * `refused`: the file's own problems, one per entry (none names a secret).
   */
  | { ok: false; reason: 'empty' | 'too_large' | 'not_token_file' | 'bad_key' | 'needs_password' | 'needs_key' | 'refused'; errors: string[] };

/**
 * Imports every token of an uploaded PSKC or CSV file, or none (the same checks and the same
 * single transaction as `gatehouse tokens import`), and records one audit event with the count.
 */
export async function importHardwareTokenFile(deps: AdminDeps, actor: Actor, upload: TokenUpload): Promise<ImportUploadResult> {
  const refuse = (reason: Exclude<ImportUploadResult, { ok: true }>['reason'], errors: string[] = []) => ({ ok: false as const, reason, errors });
  if (upload.content.length === 0) return refuse('empty');
  if (upload.content.length > MAX_TOKEN_FILE_BYTES) return refuse('too_large');
  const file = recognizeTokenFile(upload.filename, upload.content);
  if (!file.ok) return refuse('not_token_file');
  let preSharedKey: Buffer | undefined;
  if (upload.preSharedKey.trim() !== '') {
    if (file.format !== 'pskc') return refuse('bad_key');
    preSharedKey = decodePreSharedKey(upload.preSharedKey);
    if (!preSharedKey) return refuse('bad_key');
  }
  const password = upload.password === '' || file.format !== 'pskc' ? undefined : upload.password;
  const parsed = await parseTokenFile(file.text, file.format, { password, preSharedKey });
  if (!parsed.ok) {
    if (parsed.needs === 'password') return refuse('needs_password', parsed.errors);
    if (parsed.needs === 'pre-shared-key') return refuse('needs_key', parsed.errors);
    return refuse('refused', parsed.errors);
  }
  const stored = await importTokens(deps.storage.otpDevices, parsed.tokens, deps.clock.now());
  if (!stored.ok) return refuse('refused', stored.errors);
  const hotp = parsed.tokens.filter((t) => t.kind === 'hotp').length;
  await recordAdminAction(deps, actor, { kind: 'admin.token_import', subject: undefined, details: { count: stored.count, format: file.format } });
  return { ok: true, format: file.format, count: stored.count, hotp, totp: stored.count - hotp, notes: parsed.notes };
}
