/** What a user may call a credential: shown back to them and to administrators, so kept plain. */
export const MAX_CREDENTIAL_NAME = 64;

/**
 * Trimmed and NFC-normalised, 1 to 64 characters, with no control, format (bidi overrides,
 * zero-width) or line/paragraph separator characters: a name must read the same in a list,
 * a log line and an audit export. Undefined when it cannot be a name.
 */
export function normalizeCredentialName(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > MAX_CREDENTIAL_NAME * 4) return undefined;
  const name = input.normalize('NFC').trim();
  if (name.length === 0 || [...name].length > MAX_CREDENTIAL_NAME) return undefined;
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(name)) return undefined;
  return name;
}
