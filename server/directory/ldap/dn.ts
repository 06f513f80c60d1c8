/** One attribute=value pair of an RDN, its value unescaped. */
export interface Ava {
  type: string;
  value: string;
}

const SPECIAL = new Set([' ', '"', '#', '+', ',', ';', '<', '=', '>', '\\']);

/**
 * Parses a DN as servers write it (RFC 4514): RDNs separated by "," (or ";"), multi-valued RDNs
 * joined by "+", values with "\," style and "\c3\a9" style escapes (UTF-8 bytes). A "#…" value
 * is kept as written. Undefined for anything malformed: a DN is never guessed at.
 */
export function parseDn(dn: string): Ava[][] | undefined {
  const rdns: Ava[][] = [];
  let rdn: Ava[] = [];
  let i = 0;
  const n = dn.length;
  if (dn.trim() === '') return [];
  while (i < n) {
    while (i < n && dn[i] === ' ') i++;
    const eq = dn.indexOf('=', i);
    if (eq < 0) return undefined;
    const type = dn.slice(i, eq).trim();
    if (!/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)*)$/.test(type)) return undefined;
    i = eq + 1;
    const bytes: number[] = [];
    const pushText = (text: string) => bytes.push(...Buffer.from(text, 'utf8'));
    let trailingSpaces = 0;
    while (i < n && dn[i] !== ',' && dn[i] !== ';' && dn[i] !== '+') {
      const c = dn[i]!;
      if (c === '\\') {
        const next = dn.slice(i + 1, i + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(next)) {
          bytes.push(parseInt(next, 16));
          i += 3;
        } else if (i + 1 < n && SPECIAL.has(dn[i + 1]!)) {
          pushText(dn[i + 1]!);
          i += 2;
        } else {
          return undefined;
        }
        trailingSpaces = 0;
        continue;
      }
      pushText(c);
      trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
      i++;
    }
    // Unescaped trailing spaces are not part of the value (RFC 4514 §3).
    const value = Buffer.from(bytes.slice(0, bytes.length - trailingSpaces)).toString('utf8');
    rdn.push({ type, value });
    if (i < n && dn[i] === '+') {
      i++;
      continue;
    }
    rdns.push(rdn);
    rdn = [];
    if (i < n) i++;
  }
  if (rdn.length > 0) rdns.push(rdn);
  return rdns;
}

/**
 * A group's name from its DN: the value of the first RDN's `nameAttribute` (cn=Developers,… →
 * "Developers"), so memberOf values name groups without one search per group.
 */
export function nameFromDn(dn: string, nameAttribute: string): string | undefined {
  const first = parseDn(dn)?.[0];
  return first?.find((ava) => ava.type.toLowerCase() === nameAttribute.toLowerCase())?.value;
}

/** Each RDN in one spelling: types and values lower-cased, escapes resolved, multi-valued RDNs sorted. */
function normalizedRdns(dn: string): string[] | undefined {
  return parseDn(dn)?.map((rdn) =>
    rdn
      .map((ava) => `${ava.type.toLowerCase()}=${ava.value.toLowerCase()}`)
      .sort()
      .join('+'),
  );
}

/** The DN in one spelling per entry, for comparing DNs written differently. */
export function normalizeDn(dn: string): string | undefined {
  // JSON keeps a value's own "," or "=" from reading as a separator.
  const rdns = normalizedRdns(dn);
  return rdns && JSON.stringify(rdns);
}

/** Whether `dn` is `base` or below it, RDN by RDN (a value holding ",ou=…" cannot pass for a parent). */
export function isWithin(dn: string, base: string): boolean {
  const entry = normalizedRdns(dn);
  const root = normalizedRdns(base);
  if (entry === undefined || root === undefined || root.length > entry.length) return false;
  const offset = entry.length - root.length;
  return root.every((rdn, i) => entry[offset + i] === rdn);
}
