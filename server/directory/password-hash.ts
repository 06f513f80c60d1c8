import { type Argon2idParameters, MAX_MEMORY_KIB, MAX_PARALLELISM, MAX_TIME_COST, meetsMinimums, OWASP_MINIMUMS, withinArgon2idBounds } from '../core/argon2-profile.js';

export type { Argon2idParameters } from '../core/argon2-profile.js';
export { OWASP_MINIMUMS } from '../core/argon2-profile.js';

/**
 * Longest username the directory looks up, in characters (UTF-16 units: every name that can
 * exist is ASCII); longer input is refused unhashed.
 */
export const MAX_USERNAME_LENGTH = 128;
/** Longest password hashed, in UTF-8 bytes: a megabyte password must not cost a megabyte of hashing. */
export const MAX_PASSWORD_BYTES = 1024;

/**
 * OWASP's recommended argon2id profile: m=19456 KiB (19 MiB), t=2, p=1, the default of
 * `authentication.password_hash`. Chosen by the login storm's figures (BENCHMARKS.md): with
 * `@node-rs/argon2` one check costs ≈ 14 ms of CPU, so one core verifies ≈ 70 a second, where
 * Authelia's m=64 MiB, t=3, p=4 costs ≈ 75 ms (≈ 390 ms with the `argon2` package). Stored
 * hashes with other parameters (Authelia's included) still verify.
 */
export const HASH_PARAMETERS: Readonly<Argon2idParameters> = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

/** What new hashes cost, and the weakest stored hash accepted. */
export interface HashPolicy {
  /** Parameters of new hashes, and of the dummy hash that unknown users are checked against. */
  readonly parameters: Readonly<Argon2idParameters>;
  /** [memory KiB, iterations] pairs: a stored hash must meet one of them. */
  readonly minimums: readonly (readonly [number, number])[];
}

/**
 * The product's policy with OWASP's profile. Deployments choose other parameters with
 * `authentication.password_hash` (hashPolicyOf); the minimums are not configurable. Tests pass
 * cheap policies so they can sign in without spending a busy machine's minutes in argon2
 * (server/testing/test-password-hash.ts).
 */
export const DEFAULT_HASH_POLICY: HashPolicy = Object.freeze({ parameters: HASH_PARAMETERS, minimums: OWASP_MINIMUMS });

/** `authentication.password_hash` as the config schema gives it. */
export interface PasswordHashSettings {
  memory_kib: number;
  iterations: number;
  parallelism: number;
}

/** The product's policy for the configured profile: new hashes use it, the minimums stay OWASP's. */
export function hashPolicyOf(settings: PasswordHashSettings): HashPolicy {
  const parameters = { memoryCost: settings.memory_kib, timeCost: settings.iterations, parallelism: settings.parallelism };
  if (sameParameters(parameters, HASH_PARAMETERS)) return DEFAULT_HASH_POLICY;
  return Object.freeze({ parameters: Object.freeze(parameters), minimums: OWASP_MINIMUMS });
}

export function sameParameters(a: Argon2idParameters, b: Argon2idParameters): boolean {
  return a.memoryCost === b.memoryCost && a.timeCost === b.timeCost && a.parallelism === b.parallelism;
}

/**
 * Where argon2 runs. The gateway hashes in a pool of low-priority worker threads
 * (directory/hash-workers.ts) so sign-ins cannot take the proxy's core; commands and tests
 * use DIRECT_HASHER.
 */
export interface PasswordHasher {
  /** A new argon2id hash (PHC string) of `password` with `parameters`. */
  hash(password: string, parameters: Readonly<Argon2idParameters>): Promise<string>;
  /** Whether `hash` (already checked by parseArgon2idHash) is a hash of `password`. Rejects on a library failure. */
  verify(hash: string, password: string): Promise<boolean>;
}

/** argon2id is `Algorithm.Argon2id` (2), an ambient const enum that isolated modules cannot import. */
export const ARGON2ID = 2;

/**
 * `@node-rs/argon2` on libuv's thread pool, at normal priority: for commands and tests. Loaded
 * with the first use: the gateway hashes in its workers, and its main thread need not hold
 * the native module (≈ 9 MB resident with its allocator).
 */
export const DIRECT_HASHER: PasswordHasher = Object.freeze({
  hash: async (password: string, parameters: Readonly<Argon2idParameters>) => (await import('@node-rs/argon2')).hash(password, { algorithm: ARGON2ID, ...parameters }),
  verify: async (hash: string, password: string) => (await import('@node-rs/argon2')).verify(hash, password),
});

/**
 * Hashes `password` with the policy's parameters, by default on libuv's thread pool.
 * Throws RangeError for a password over MAX_PASSWORD_BYTES: callers check first.
 */
export async function hashPassword(password: string, policy: HashPolicy = DEFAULT_HASH_POLICY, hasher: PasswordHasher = DIRECT_HASHER): Promise<string> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new RangeError(`password longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  return hasher.hash(password, policy.parameters);
}

/**
 * True only when `hash` is an acceptable argon2id hash (see parseArgon2idHash) of `password`.
 * A malformed hash or any library or worker failure gives false, never an exception and never
 * true: a bad entry or a crashed hashing worker must not turn a sign-in into a 500, tell the
 * caller which users have bad entries, or let anyone in. `onError` lets the caller log it.
 */
export async function verifyPasswordHash(
  hash: string,
  password: string,
  options: { onError?: (error: unknown) => void; policy?: HashPolicy; hasher?: PasswordHasher } = {},
): Promise<boolean> {
  const { onError, policy = DEFAULT_HASH_POLICY, hasher = DIRECT_HASHER } = options;
  // Checked first: argon2 would verify argon2i/argon2d too, and with whatever memory cost the string asks for.
  const parsed = parseArgon2idHash(hash, policy);
  if (!parsed.ok) {
    onError?.(new Error(`stored hash ${parsed.reason}`));
    return false;
  }
  try {
    // Strictly true: anything else a hasher might resolve to is a refusal.
    return (await hasher.verify(hash, password)) === true;
  } catch (error) {
    onError?.(error);
    return false;
  }
}

/** True when `password` is within the limits the directory hashes at all. */
export function isAcceptablePasswordLength(password: string): boolean {
  // Cheap bound first: a UTF-16 unit is at most 3 UTF-8 bytes, and a huge string is refused unscanned.
  if (password.length > MAX_PASSWORD_BYTES) return false;
  return password.length * 3 <= MAX_PASSWORD_BYTES || Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}

export type ParsedHash = { ok: true; parameters: Argon2idParameters } | { ok: false; reason: string };

/** PHC string: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, parameters in any order (argon2 writes m,p,t; Authelia m,t,p). */
const ARGON2ID_PHC = /^\$argon2id\$v=19\$([a-z]=\d{1,10}(?:,[a-z]=\d{1,10}){2})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{22,})$/;

/** Checks that a stored hash is an argon2id hash we are willing to verify. The reason never quotes the hash. */
export function parseArgon2idHash(hash: string, policy: HashPolicy = DEFAULT_HASH_POLICY): ParsedHash {
  const match = ARGON2ID_PHC.exec(hash);
  if (!match || !isUnpaddedBase64(match[2]!) || !isUnpaddedBase64(match[3]!)) {
    return { ok: false, reason: 'is not an argon2id hash ($argon2id$v=19$m=…,t=…,p=…$salt$hash; make one with `gatehouse hash-password`)' };
  }
  const params = new Map(match[1]!.split(',').map((pair) => [pair[0]!, Number(pair.slice(2))] as const));
  const m = params.get('m');
  const t = params.get('t');
  const p = params.get('p');
  if (params.size !== 3 || m === undefined || t === undefined || p === undefined) {
    return { ok: false, reason: 'is not an argon2id hash (parameters must be m, t and p)' };
  }
  if (!withinArgon2idBounds({ memoryCost: m, timeCost: t, parallelism: p })) {
    return { ok: false, reason: `has argon2id parameters out of range (m=${m},t=${t},p=${p}; at most m=${MAX_MEMORY_KIB},t=${MAX_TIME_COST},p=${MAX_PARALLELISM})` };
  }
  if (!meetsMinimums({ memoryCost: m, timeCost: t, parallelism: p }, policy.minimums)) {
    return { ok: false, reason: `is weaker than OWASP's argon2id minimum (m=${m},t=${t}; need e.g. m=19456,t=2); rehash with \`gatehouse hash-password\`` };
  }
  return { ok: true, parameters: { memoryCost: m, timeCost: t, parallelism: p } };
}

function isUnpaddedBase64(text: string): boolean {
  return text.length % 4 !== 1;
}
