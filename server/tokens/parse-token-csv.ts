import type { OtpAlgorithm } from '../storage/storage.js';
import {
  asciiLowerCase,
  asciiUpperCase,
  checkSecretLength,
  checkSerial,
  entryLabel,
  findDuplicateSerials,
  MAX_TOKEN_FILE_BYTES,
  MAX_TOKENS_PER_FILE,
  quoteValue,
  type ImportedToken,
  type TokenParseResult,
} from './imported-token.js';
import { decodeTokenSecret } from './token-secret.js';

const COLUMNS = ['serial', 'secret', 'type', 'digits', 'period', 'counter'];
const HEADER = COLUMNS.join(',');
const ALGORITHMS: readonly OtpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];

/**
 * Reads a token CSV file:
 *
 *     serial,secret,type,digits,period,counter[,algorithm]
 *     1000133508267,3132333435363738393031323334353637383930,hotp,6,,0
 *     2600124809778,base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,totp,6,60,
 *
 * The header is required. `secret` is hex or base32 (see decodeTokenSecret for how they are
 * told apart), at least 128 bits. `type` is hotp or totp; `digits` 6 or 8; `period` 30 or 60
 * for TOTP (empty for HOTP means 30, unused); `counter` the HOTP counter (empty means 0;
 * TOTP takes none). The optional `algorithm` column is SHA1 (default), SHA256 or SHA512.
 * Fields may be double-quoted; a UTF-8 BOM and CRLF line ends are accepted; blank lines are
 * skipped. All or nothing: every problem is reported with its line number, and no token is
 * returned if there is any. Errors never quote a secret.
 */
export function parseTokenCsv(text: string): TokenParseResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_TOKEN_FILE_BYTES) return { ok: false, errors: [`the file is larger than ${MAX_TOKEN_FILE_BYTES / 1024 / 1024} MB`] };
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const header = splitCsvLine(lines[0] ?? '');
  const columns = header.ok ? header.fields.map(asciiLowerCase) : [];
  const withAlgorithm = columns.length === 7 && columns[6] === 'algorithm';
  // The first line is not quoted back: without a header it would be a data row with a secret in it.
  if (columns.slice(0, 6).join(',') !== HEADER || (columns.length !== 6 && !withAlgorithm)) {
    return { ok: false, errors: [`line 1: the first line must be the header "${HEADER}" (optionally followed by ",algorithm")`] };
  }
  const rows = lines
    .map((line, index) => ({ line, number: index + 1 }))
    .slice(1)
    .filter((row) => row.line.trim() !== '');
  if (rows.length === 0) return { ok: false, errors: ['the file holds no tokens'] };
  if (rows.length > MAX_TOKENS_PER_FILE) return { ok: false, errors: [`the file holds ${rows.length} rows; at most ${MAX_TOKENS_PER_FILE} are imported at once`] };

  const errors: string[] = [];
  const tokens: Array<{ label: string; token: ImportedToken }> = [];
  for (const row of rows) {
    const result = readRow(row.line, row.number, columns.length);
    if (result.ok) tokens.push(result);
    else errors.push(...result.errors);
  }
  errors.push(...findDuplicateSerials(tokens.map(({ label, token }) => ({ label, serial: token.serial }))));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, tokens: tokens.map((t) => t.token), notes: [] };
}

type RowResult = { ok: true; label: string; token: ImportedToken } | { ok: false; errors: string[] };

function readRow(line: string, number: number, columnCount: number): RowResult {
  const split = splitCsvLine(line);
  if (!split.ok) return { ok: false, errors: [`line ${number}: ${split.reason}`] };
  if (split.fields.length !== columnCount) return { ok: false, errors: [`line ${number}: has ${split.fields.length} columns; ${columnCount} expected`] };
  const [serial = '', secretText = '', typeText = '', digitsText = '', periodText = '', counterText = '', algorithmText = ''] = split.fields;
  const label = entryLabel(`line ${number}`, serial);
  const problems: string[] = [];

  const serialProblem = checkSerial(serial);
  if (serialProblem) problems.push(serialProblem);
  const decoded = decodeTokenSecret(secretText);
  const secretProblem = decoded.ok ? checkSecretLength(decoded.secret) : decoded.reason;
  if (secretProblem) problems.push(secretProblem);
  const kind = asciiLowerCase(typeText);
  if (kind !== 'hotp' && kind !== 'totp') problems.push(`unknown type ${quoteValue(typeText.slice(0, 20))} (hotp or totp)`);
  if (digitsText !== '6' && digitsText !== '8') problems.push(`digits must be 6 or 8, not ${quoteValue(digitsText.slice(0, 20))}`);
  // Period and counter rules depend on the type: with an unknown type, that one error says it.
  if (kind === 'hotp' || kind === 'totp') {
    const periodAllowed = periodText === '30' || periodText === '60' || (kind === 'hotp' && periodText === '');
    if (!periodAllowed)
      problems.push(
        kind === 'totp'
          ? `period must be 30 or 60 for TOTP, not ${quoteValue(periodText.slice(0, 20))}`
          : `period must be empty, 30 or 60, not ${quoteValue(periodText.slice(0, 20))}`,
      );
  }
  const counter = counterText === '' ? 0 : Number(counterText);
  if (counterText !== '' && (!/^[0-9]{1,16}$/.test(counterText) || !Number.isSafeInteger(counter))) {
    problems.push(`counter must be a non-negative whole number, not ${quoteValue(counterText.slice(0, 20))}`);
  } else if (kind === 'totp' && counter !== 0) {
    problems.push('counter is for HOTP tokens; leave it empty for TOTP');
  }
  const algorithm = algorithmText === '' ? 'SHA1' : ALGORITHMS.find((a) => a === asciiUpperCase(algorithmText));
  if (algorithm === undefined) problems.push(`algorithm must be SHA1, SHA256 or SHA512, not ${quoteValue(algorithmText.slice(0, 20))}`);

  if (problems.length > 0 || !decoded.ok || algorithm === undefined) return { ok: false, errors: problems.map((p) => `${label}: ${p}`) };
  return {
    ok: true,
    label,
    token: {
      serial,
      kind: kind as 'hotp' | 'totp',
      secret: decoded.secret,
      algorithm,
      digits: Number(digitsText) as 6 | 8,
      period: kind === 'totp' && periodText === '60' ? 60 : 30,
      counter: kind === 'hotp' ? counter : 0,
    },
  };
}

/** One line of RFC 4180 CSV (no line breaks inside fields); fields are trimmed. */
function splitCsvLine(line: string): { ok: true; fields: string[] } | { ok: false; reason: string } {
  const fields: string[] = [];
  let index = 0;
  for (;;) {
    while (line[index] === ' ' || line[index] === '\t') index++;
    let field = '';
    if (line[index] === '"') {
      index++;
      for (;;) {
        if (index >= line.length) return { ok: false, reason: 'a quoted field is not closed' };
        if (line[index] === '"' && line[index + 1] === '"') {
          field += '"';
          index += 2;
        } else if (line[index] === '"') {
          index++;
          break;
        } else {
          field += line[index++];
        }
      }
      while (line[index] === ' ' || line[index] === '\t') index++;
      if (index < line.length && line[index] !== ',') return { ok: false, reason: 'text after a closing quote' };
    } else {
      const end = line.indexOf(',', index);
      field = line.slice(index, end === -1 ? line.length : end).trim();
      if (field.includes('"')) return { ok: false, reason: 'a quote inside an unquoted field' };
      index = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (index >= line.length) return { ok: true, fields };
    index++; // the comma
  }
}
