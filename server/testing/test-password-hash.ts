import { hashPassword, type HashPolicy } from '../directory/password-hash.js';

/**
 * argon2id at m=1 MiB, t=1, p=1: about a millisecond, where the product's hash takes ~15 ms on
 * an idle machine and far longer on a busy one. For every test that signs in but does not test the
 * hash itself: give it to the directory (`hashPolicy` of createGateway or
 * createUsersFileDirectory) and write the users file with `hashTestPassword`. The product
 * refuses these hashes (below OWASP's minimum), so they cannot be confused with real ones.
 */
export const TEST_HASH_POLICY: HashPolicy = Object.freeze({
  parameters: Object.freeze({ memoryCost: 1024, timeCost: 1, parallelism: 1 }),
  minimums: Object.freeze([Object.freeze([1024, 1] as const)]),
});

/** A users-file hash of `password` under TEST_HASH_POLICY. */
export function hashTestPassword(password: string): Promise<string> {
  return hashPassword(password, TEST_HASH_POLICY);
}

/**
 * A users-file entry for the commands, which read the file as the product does (its policy) and
 * only look users up: a well-formed hash of the product's parameters whose digest is filler, so
 * no password matches it and nothing is hashed to make it.
 */
export const LOOKUP_ONLY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Ymx1Ymx1Ymx1Ymx1Ymx1Ymx1Ymx1Ymx1Ymx1Ymx1Ymw';

/**
 * OWASP's cheapest accepted argon2id profile (m = 12 MiB, t = 3, p = 1): about a tenth of the
 * product's work, yet long enough that parallel checks queue. For tests of the hash queue under
 * a burst, where TEST_HASH_POLICY's millisecond would drain the queue before it forms.
 */
export const QUEUEING_HASH_POLICY: HashPolicy = Object.freeze({
  parameters: Object.freeze({ memoryCost: 12288, timeCost: 3, parallelism: 1 }),
  minimums: Object.freeze([Object.freeze([12288, 3] as const)]),
});
