import { argon2id, hash as argon2Hash } from 'argon2';

/**
 * OWASP's cheapest accepted argon2id profile (m = 12 MiB, t = 3, p = 1): about a tenth of the
 * product's default work, so a test that hashes dozens of passwords stays quick on a loaded
 * machine. The users file accepts it (with a warning that it differs from the default); only
 * the dummy hash for unknown users keeps the full cost, so tests that want cheap checks sign
 * in with names that exist.
 */
export function hashPasswordCheaply(password: string): Promise<string> {
  return argon2Hash(password, { type: argon2id, memoryCost: 12288, timeCost: 3, parallelism: 1 });
}
