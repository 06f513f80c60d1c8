import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DEFAULT_HASH_POLICY, MAX_USERNAME_LENGTH, parseArgon2idHash, type Argon2idParameters, type HashPolicy } from './password-hash.js';

/** One user as the directory keeps it. `username` is the lower-case key. */
export interface UserRecord {
  username: string;
  displayName: string;
  email: string;
  /** As written in the file (any format libphonenumber-js reads); '' when absent. For SMS codes. */
  mobile: string;
  groups: readonly string[];
  passwordHash: string;
  disabled: boolean;
}

export type ParseUsersResult = { ok: true; users: ReadonlyMap<string, UserRecord>; warnings: string[] } | { ok: false; errors: string[] };

/**
 * Usernames are matched case-insensitively: the file's keys and sign-in input are lower-cased
 * (ASCII only, so no Unicode case folding can make two spellings meet) and must then match this.
 */
const USERNAME = new RegExp(`^[a-z0-9_.@-]{1,${MAX_USERNAME_LENGTH}}$`);
/** Group names reach upstreams in a comma-separated header: no commas, no control characters. */
const GROUP = /^[A-Za-z0-9_.@:+-]+(?: [A-Za-z0-9_.@:+-]+)*$/;
/** Display names reach upstreams in a header too. */
const NO_CONTROL = /^[^\p{Cc}\p{Zl}\p{Zp}]*$/u;

const userSchema = z.strictObject({
  displayname: z.string().trim().min(1, 'must not be empty').max(256).regex(NO_CONTROL, 'must not contain control characters'),
  email: z.email({ error: 'is not an email address' }).max(254).optional(),
  /** For SMS codes: checked and normalized to E.164 when a code is sent (the country allow-list is config). */
  mobile: z
    .string()
    .max(32)
    .regex(/^\+?[0-9 ()./-]+$/, 'is not a phone number (digits, spaces, "+", "-", "(", ")")')
    .optional(),
  groups: z.array(z.string().max(128).regex(GROUP, 'is not a group name (letters, digits, "_.@:+-", single inner spaces)')).max(256).default([]),
  password: z.string({ error: 'is required' }),
  disabled: z.boolean().default(false),
});

/**
 * Lower-cases a username as typed at sign-in; undefined when it cannot name any user. The
 * length check runs first, so a megabyte of input costs nothing.
 */
export function normalizeUsername(raw: string): string | undefined {
  if (raw.length > MAX_USERNAME_LENGTH) return undefined;
  const lower = raw.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return USERNAME.test(lower) ? lower : undefined;
}

/**
 * Parses and validates a users file (Authelia's layout, so files port over). Every problem is
 * reported at once with its path; no message ever quotes a password hash. Hashes are checked
 * against `policy`: refused below its minimums, a warning when they cost other than its own.
 */
export function parseUsersFile(text: string, policy: HashPolicy = DEFAULT_HASH_POLICY): ParseUsersResult {
  const lineCounter = new LineCounter();
  // prettyErrors would quote the offending lines, which may hold hashes: report positions only.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => `yaml: ${firstLine(e.message)} at ${describePosition(lineCounter, e.pos[0])}`) };
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    // yaml refuses alias bombs here ("billion laughs"), after parsing.
    return { ok: false, errors: [`yaml: ${firstLine(error instanceof Error ? error.message : 'cannot be read')}`] };
  }
  if (!isMapping(root)) return { ok: false, errors: ['(root): must be a mapping with a "users" key'] };

  const errors: string[] = [];
  const warnings: string[] = [];
  for (const key of Object.keys(root)) if (key !== 'users') errors.push(`${key}: unknown key`);
  if (!isMapping(root.users)) {
    errors.push(root.users === undefined ? 'users: is required' : 'users: must be a mapping of username to user');
    return { ok: false, errors };
  }

  const users = new Map<string, UserRecord>();
  const keyOf = new Map<string, string>();
  for (const [key, value] of Object.entries(root.users)) {
    const path = ['users', key];
    const username = normalizeUsername(key);
    if (username === undefined) {
      errors.push(`${formatPath(path)}: is not a username (up to ${MAX_USERNAME_LENGTH} of a-z, 0-9, "_", ".", "@", "-"; case-insensitive)`);
    } else if (keyOf.has(username)) {
      errors.push(`${formatPath(path)}: duplicates ${formatPath(['users', keyOf.get(username)!])} (usernames are case-insensitive)`);
    } else {
      keyOf.set(username, key);
    }
    const parsed = userSchema.safeParse(value);
    const userErrors = parsed.success ? [] : parsed.error.issues.flatMap((issue) => formatIssue(path, issue, value));
    // The hash is checked even when other fields fail, so one pass reports everything.
    const password = (value as { password?: unknown } | null)?.password;
    const hashCheck = typeof password === 'string' ? parseArgon2idHash(password, policy) : undefined;
    if (hashCheck && !hashCheck.ok) userErrors.push(`${formatPath([...path, 'password'])}: ${hashCheck.reason}`);
    errors.push(...userErrors);
    if (!parsed.success || !hashCheck?.ok || username === undefined || users.has(username)) continue;
    const { parameters } = hashCheck;
    const expected = policy.parameters;
    if (!sameParameters(parameters, expected)) {
      warnings.push(
        `${formatPath([...path, 'password'])}: argon2id parameters m=${parameters.memoryCost},t=${parameters.timeCost},p=${parameters.parallelism} ` +
          `differ from m=${expected.memoryCost},t=${expected.timeCost},p=${expected.parallelism}: ` +
          'sign-in for this user takes a different time than for unknown users; rehash with `gatehouse hash-password`',
      );
    }
    const user = parsed.data;
    users.set(
      username,
      Object.freeze({
        username,
        displayName: user.displayname,
        email: user.email ?? '',
        mobile: user.mobile ?? '',
        groups: Object.freeze([...new Set(user.groups)]),
        passwordHash: user.password,
        disabled: user.disabled,
      }),
    );
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, users, warnings };
}

function formatIssue(base: readonly PropertyKey[], issue: z.core.$ZodIssue, input: unknown): string[] {
  const path = [...base, ...issue.path];
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${formatPath([...path, key])}: unknown key`);
  // A mistyped value is described by type only: it may be a hash or a password pasted in by mistake.
  if (issue.code === 'invalid_type') return [`${formatPath(path)}: ${valueAt(input, issue.path) === undefined ? 'is required' : `must be ${issue.expected}`}`];
  return [`${formatPath(path)}: ${issue.message}`];
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `users["alice.liu"].groups[1]`: keys that are not plain words are quoted so dots stay unambiguous. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(String(part))) out += out ? `.${String(part)}` : String(part);
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(root)';
}

function sameParameters(a: Argon2idParameters, b: Argon2idParameters): boolean {
  return a.memoryCost === b.memoryCost && a.timeCost === b.timeCost && a.parallelism === b.parallelism;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Map);
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function describePosition(lineCounter: LineCounter, offset: number): string {
  const { line, col } = lineCounter.linePos(offset);
  return `line ${line}, column ${col}`;
}
