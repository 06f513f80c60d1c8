import { Control } from 'ldapts';

/** draft-behera-ldap-password-policy: the request has no value; the response says why. */
export const PASSWORD_POLICY_OID = '1.3.6.1.4.1.42.2.27.8.5.1';

export type PasswordPolicyError =
  | 'passwordExpired'
  | 'accountLocked'
  | 'changeAfterReset'
  | 'passwordModNotAllowed'
  | 'mustSupplyOldPassword'
  | 'insufficientPasswordQuality'
  | 'passwordTooShort'
  | 'passwordTooYoung'
  | 'passwordInHistory';

const ERRORS: readonly PasswordPolicyError[] = [
  'passwordExpired',
  'accountLocked',
  'changeAfterReset',
  'passwordModNotAllowed',
  'mustSupplyOldPassword',
  'insufficientPasswordQuality',
  'passwordTooShort',
  'passwordTooYoung',
  'passwordInHistory',
];

/**
 * Sent with a bind. ldapts hands the server's answer to the control of the same type that was
 * sent, even when the bind fails, so the instance holds the response after the bind settles.
 */
export class PasswordPolicyControl extends Control {
  /** The response's error, when the server sent one. */
  error?: PasswordPolicyError;
  /** Whether the server answered with this control at all. */
  answered = false;

  constructor() {
    super(PASSWORD_POLICY_OID);
  }

  protected override parseControl(reader: { buffer: Buffer }): void {
    this.answered = true;
    this.error = parsePasswordPolicyResponse(reader.buffer).error;
  }
}

/**
 * PasswordPolicyResponseValue ::= SEQUENCE {
 *   warning [0] CHOICE { timeBeforeExpiration [0] INTEGER, graceAuthNsRemaining [1] INTEGER } OPTIONAL,
 *   error   [1] ENUMERATED { passwordExpired (0), accountLocked (1), changeAfterReset (2), … } OPTIONAL }
 * Read by hand (a few bytes of DER); anything malformed reads as "no error".
 */
export function parsePasswordPolicyResponse(value: Buffer): { error?: PasswordPolicyError } {
  const outer = readTlv(value, 0);
  if (outer?.tag !== 0x30) return {};
  let offset = outer.start;
  while (offset < outer.end) {
    const item = readTlv(value, offset);
    if (!item || item.end > outer.end) return {};
    if (item.tag === 0x81 && item.end - item.start === 1) {
      const code = value[item.start]!;
      return ERRORS[code] ? { error: ERRORS[code] } : {};
    }
    offset = item.end;
  }
  return {};
}

function readTlv(buffer: Buffer, offset: number): { tag: number; start: number; end: number } | undefined {
  if (offset + 2 > buffer.length) return undefined;
  const tag = buffer[offset]!;
  let length = buffer[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3 || start + bytes > buffer.length) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buffer[start + i]!;
    start += bytes;
  }
  const end = start + length;
  return end <= buffer.length ? { tag, start, end } : undefined;
}
