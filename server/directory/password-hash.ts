import { argon2id, hash as argon2Hash, verify as argon2Verify } from 'argon2';

/**
 * Longest username the directory looks up, in characters (UTF-16 units: every name that can
 * exist is ASCII); longer input is refused unhashed.
 */
export const MAX_USERNAME_LENGTH = 128;
/** Longest password hashed, in UTF-8 bytes: a megabyte password must not cost a megabyte of hashing. */
export const MAX_PASSWORD_BYTES = 1024;

/**
 * argon2id with the argon2 package's defaults: m=65536 KiB (64 MiB), t=3, p=4. That is above
 * OWASP's minimum (m=19 MiB, t=2, p=1) and equal to Authelia's default, so hashes port both
 * ways. Spelled out so a change of library defaults cannot silently weaken new hashes, and so
 * the users file can tell whether a stored hash costs what the dummy hash costs.
 */
export const HASH_PARAMETERS: Readonly<Argon2idParameters> = Object.freeze({ memoryCost: 65536, timeCost: 3, parallelism: 4 });

/**
 * OWASP's equivalent argon2id minimums (memory in KiB, iterations): a stored hash must meet
 * one of them, or cracking a leaked file is cheaper than the policy assumes.
 */
const OWASP_MINIMUMS: readonly (readonly [number, number])[] = Object.freeze([
  [47104, 1],
  [19456, 2],
  [12288, 3],
  [9216, 4],
  [7168, 5],
]);

/** What new hashes cost, and the weakest stored hash accepted. */
export interface HashPolicy {
  /** Parameters of new hashes, and of the dummy hash that unknown users are checked against. */
  readonly parameters: Readonly<Argon2idParameters>;
  /** [memory KiB, iterations] pairs: a stored hash must meet one of them. */
  readonly minimums: readonly (readonly [number, number])[];
}

/**
 * The only policy the product uses: it is not configurable. The parameter exists so tests can
 * sign in without spending a busy machine's minutes in argon2 (server/testing/test-password-hash.ts).
 */
export const DEFAULT_HASH_POLICY: HashPolicy = Object.freeze({ parameters: HASH_PARAMETERS, minimums: OWASP_MINIMUMS });

/**
 * Hashes on libuv's thread pool: the event loop keeps serving while it runs (~100 ms).
 * Throws RangeError for a password over MAX_PASSWORD_BYTES: callers check first.
 */
export async function hashPassword(password: string, policy: HashPolicy = DEFAULT_HASH_POLICY): Promise<string> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new RangeError(`password longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  return argon2Hash(password, { type: argon2id, ...policy.parameters });
}

/**
 * True only when `hash` is an acceptable argon2id hash (see parseArgon2idHash) of `password`.
 * A malformed hash or any library error gives false, never an exception: a bad entry must not
 * turn a sign-in into a 500 (or tell the caller which users have bad entries). `onError` lets
 * the caller log it.
 */
export async function verifyPasswordHash(hash: string, password: string, options: { onError?: (error: unknown) => void; policy?: HashPolicy } = {}): Promise<boolean> {
  const { onError, policy = DEFAULT_HASH_POLICY } = options;
  // Checked first: argon2 would verify argon2i/argon2d too, and with whatever memory cost the string asks for.
  const parsed = parseArgon2idHash(hash, policy);
  if (!parsed.ok) {
    onError?.(new Error(`stored hash ${parsed.reason}`));
    return false;
  }
  try {
    return await argon2Verify(hash, password);
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

export interface Argon2idParameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export type ParsedHash = { ok: true; parameters: Argon2idParameters } | { ok: false; reason: string };

/** PHC string: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, parameters in any order (argon2 writes m,p,t; Authelia m,t,p). */
const ARGON2ID_PHC = /^\$argon2id\$v=19\$([a-z]=\d{1,10}(?:,[a-z]=\d{1,10}){2})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{22,})$/;

/**
 * Upper bounds, so a typo in the users file (m=6553600) cannot make each sign-in allocate
 * gigabytes: verification uses the parameters stored in the hash, not ours.
 */
const MAX_MEMORY_KIB = 1024 * 1024;
const MAX_TIME_COST = 16;
const MAX_PARALLELISM = 16;

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
  if (m > MAX_MEMORY_KIB || t > MAX_TIME_COST || p < 1 || p > MAX_PARALLELISM || m < 8 * p) {
    return { ok: false, reason: `has argon2id parameters out of range (m=${m},t=${t},p=${p}; at most m=${MAX_MEMORY_KIB},t=${MAX_TIME_COST},p=${MAX_PARALLELISM})` };
  }
  if (!policy.minimums.some(([minM, minT]) => m >= minM && t >= minT)) {
    return { ok: false, reason: `is weaker than OWASP's argon2id minimum (m=${m},t=${t}; need e.g. m=19456,t=2); rehash with \`gatehouse hash-password\`` };
  }
  return { ok: true, parameters: { memoryCost: m, timeCost: t, parallelism: p } };
}

function isUnpaddedBase64(text: string): boolean {
  return text.length % 4 !== 1;
}
