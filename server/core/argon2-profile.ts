/**
 * argon2id parameters: what the config accepts for new hashes and what the directory accepts
 * in stored ones. Here, not in directory/, because the config schema checks the configured
 * profile with the same rules.
 */
export interface Argon2idParameters {
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * OWASP's equivalent argon2id minimums (memory in KiB, iterations): a hash must meet one of
 * them, or cracking a leaked file is cheaper than the policy assumes.
 */
export const OWASP_MINIMUMS: readonly (readonly [number, number])[] = Object.freeze([
  [47104, 1],
  [19456, 2],
  [12288, 3],
  [9216, 4],
  [7168, 5],
]);

/**
 * Upper bounds, so a typo in the users file (m=6553600) cannot make each sign-in allocate
 * gigabytes: verification uses the parameters stored in the hash, not ours.
 */
export const MAX_MEMORY_KIB = 1024 * 1024;
export const MAX_TIME_COST = 16;
export const MAX_PARALLELISM = 16;

export function withinArgon2idBounds({ memoryCost: m, timeCost: t, parallelism: p }: Argon2idParameters): boolean {
  return m <= MAX_MEMORY_KIB && t >= 1 && t <= MAX_TIME_COST && p >= 1 && p <= MAX_PARALLELISM && m >= 8 * p;
}

export function meetsMinimums({ memoryCost: m, timeCost: t }: Argon2idParameters, minimums: readonly (readonly [number, number])[] = OWASP_MINIMUMS): boolean {
  return minimums.some(([minM, minT]) => m >= minM && t >= minT);
}

/** Why a profile cannot be used for new hashes (`authentication.password_hash`), or undefined. */
export function profileProblem(parameters: Argon2idParameters): string | undefined {
  if (!withinArgon2idBounds(parameters)) {
    return `is out of range (memory_kib at most ${MAX_MEMORY_KIB} and at least 8 × parallelism, iterations 1–${MAX_TIME_COST}, parallelism 1–${MAX_PARALLELISM})`;
  }
  if (!meetsMinimums(parameters)) {
    return `is weaker than OWASP's argon2id minimum (m=${parameters.memoryCost},t=${parameters.timeCost}; e.g. memory_kib 19456 with iterations 2)`;
  }
  return undefined;
}
