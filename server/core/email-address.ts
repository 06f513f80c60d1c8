/**
 * A bare addr-spec as a directory holds it (`alice@corp.example`): one "@", a dot in the domain,
 * no spaces, no control characters (CR and LF would start a new mail header), none of `<>,;:"()[]\`
 * (a display name, a group or a second recipient), at most 64 characters before the "@". Stricter
 * than RFC 5322 on purpose: mail goes only to addresses that cannot be read two ways.
 */
export function isDeliverableAddress(address: string): boolean {
  // RFC 5321's limits: 254 in all, 64 before the "@".
  if (address.length < 3 || address.length > 254 || address.lastIndexOf('@') > 64) return false;
  const part = String.raw`[^\s\p{Cc}\p{Zl}\p{Zp}<>,;:"()[\]\\@]+`;
  return new RegExp(`^${part}@${part}\\.${part}$`, 'u').test(address);
}

/** "a••••@corp.example": enough for the user to recognise, little for anyone looking over their shoulder. */
export function maskEmailAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '••••';
  return `${Array.from(address)[0]}••••${address.slice(at)}`;
}
