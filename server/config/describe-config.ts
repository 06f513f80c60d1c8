import { SECRET_KEYS } from './schema.js';

/** What the console shows in place of a secret: never its length, never a part of it. */
export const MASK = '••••';

/** One setting as shown: its whole path (`redis.sentinel.nodes[0].host`), its value as text. */
export interface ConfigRow {
  path: string;
  /** null: an empty list or map. */
  value: string | null;
  /** The value, or a part of it (a URL's password), was replaced by MASK. */
  masked: boolean;
}

/** The settings under one top-level key (`server`, `redis`, …), in the file's order. */
export interface ConfigSection {
  name: string;
  rows: ConfigRow[];
}

/**
 * Keys that may carry a secret without being a SECRET_KEYS name: an SMS webhook's body
 * template (many SMS APIs take their key in the body).
 */
const SECRET_BEARING_PATHS = [/^second_factors\.sms_otp\.sender\.body$/];
/**
 * Outgoing webhook URLs whose path is often the credential itself (Slack, Teams and Discord
 * hooks): only their origin is shown.
 */
const BEARER_URL_PATHS = [/^audit\.webhook\.url$/, /^second_factors\.sms_otp\.sender\.url$/];
/** Query parameters that carry a credential in a connection string (`postgres://…?password=…`). */
const SECRET_QUERY_PARAM = /pass|secret|token|key|auth|cred|sig/i;

/**
 * Whether a setting's value is a secret, decided by its path alone: every key the loader lets
 * come from a `*_file` (SECRET_KEYS: password, key, private_key, auth_token, value — each such
 * file's contents land under that key), and the secret-bearing keys above.
 */
export function isSecretPath(path: string): boolean {
  const key = /([A-Za-z0-9_]+)(\[\d+\])*$/.exec(path)?.[1] ?? '';
  return SECRET_KEYS.has(key) || SECRET_BEARING_PATHS.some((p) => p.test(path));
}

/**
 * A value with any credential in it replaced: a URL's password (`redis://:pass@host` →
 * `redis://:••••@host`) and credential-like query parameters. A string that looks like a URL
 * with userinfo but does not parse is masked whole rather than guessed at.
 */
export function maskUrlCredentials(text: string): { text: string; masked: boolean } {
  if (!text.includes('://')) return { text, masked: false };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return /:\/\/[^/]*@/.test(text) ? { text: MASK, masked: true } : { text, masked: false };
  }
  let masked = false;
  let userinfo = '';
  if (url.username || url.password) {
    userinfo = `${url.username}${url.password ? `:${MASK}` : ''}@`;
    masked = url.password !== '';
  }
  const params = [...url.searchParams].map(([name, value]) => {
    if (!SECRET_QUERY_PARAM.test(name)) return `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
    masked = true;
    return `${encodeURIComponent(name)}=${MASK}`;
  });
  if (!masked) return { text, masked: false };
  return { text: `${url.protocol}//${userinfo}${url.host}${url.pathname}${params.length > 0 ? `?${params.join('&')}` : ''}${url.hash}`, masked: true };
}

/** A webhook URL reduced to its origin, its path (the hook's token, often) hidden. */
function maskBearerUrl(text: string): { text: string; masked: boolean } {
  try {
    const url = new URL(text);
    return url.pathname === '/' ? { text: url.href, masked: false } : { text: `${url.origin}/${MASK}`, masked: true };
  } catch {
    return { text: MASK, masked: true };
  }
}

function leafText(path: string, value: unknown): { text: string; masked: boolean } {
  if (isSecretPath(path)) return { text: MASK, masked: true };
  const text = value instanceof URL ? value.href : String(value);
  if (BEARER_URL_PATHS.some((p) => p.test(path))) return maskBearerUrl(text);
  return typeof value === 'string' || value instanceof URL ? maskUrlCredentials(text) : { text, masked: false };
}

function flatten(path: string, value: unknown, rows: ConfigRow[]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    if (value.length === 0) return void rows.push({ path, value: null, masked: false });
    // A list of plain values on one line, unless one of them is a secret (each then masked on its own row).
    const scalars = value.every((v) => v === null || (typeof v !== 'object' && !Array.isArray(v)) || v instanceof URL);
    if (scalars && !isSecretPath(path)) {
      const parts = value.map((v) => leafText(path, v));
      return void rows.push({ path, value: parts.map((p) => p.text).join(', '), masked: parts.some((p) => p.masked) });
    }
    value.forEach((item, i) => flatten(`${path}[${i}]`, item, rows));
    return;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof URL)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return void rows.push({ path, value: null, masked: false });
    for (const [key, child] of entries) flatten(path ? `${path}.${key}` : key, child, rows);
    return;
  }
  const { text, masked } = leafText(path, value);
  rows.push({ path, value: text, masked });
}

/**
 * The running configuration as sections of rows, for reading: defaults filled in, durations in
 * seconds (as parsed), every secret masked. Secrets are decided by the key (isSecretPath) and,
 * for every other string, by its shape (maskUrlCredentials): no secret value leaves here.
 */
export function describeConfig(config: object): ConfigSection[] {
  return Object.entries(config).flatMap(([name, value]) => {
    const rows: ConfigRow[] = [];
    flatten(name, value, rows);
    return rows.length > 0 ? [{ name, rows }] : [];
  });
}
