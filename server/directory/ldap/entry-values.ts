import type { Entry } from 'ldapts';
import type { LdapConnection } from './ldap-connection.js';

/** Every value of `attribute` as text, whatever case the server wrote its name in. */
export function valuesOf(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase();
  for (const [key, raw] of Object.entries(entry)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue;
    const list = Array.isArray(raw) ? raw : [raw];
    return list.map((value) => (Buffer.isBuffer(value) ? value.toString('utf8') : value));
  }
  return [];
}

export function firstValue(entry: Entry, attribute: string): string | undefined {
  return valuesOf(entry, attribute)[0];
}

const RANGE = /^(.+);range=(\d+)-(\d+|\*)$/i;

/** At most this many values of one attribute are read, range by range. */
const MAX_VALUES = 100_000;

/**
 * All values of a many-valued attribute. Active Directory returns at most MaxValRange values
 * (1500 or 5000) and names the attribute `memberOf;range=0-1499`; the rest are asked for range
 * by range on the entry itself. Other servers return every value at once.
 */
export async function readAllValues(connection: LdapConnection, entry: Entry, attribute: string, options: { timeLimitSeconds: number }): Promise<string[]> {
  const wanted = attribute.toLowerCase();
  let ranged = Object.keys(entry).find((key) => RANGE.exec(key)?.[1]?.toLowerCase() === wanted);
  if (ranged === undefined) return valuesOf(entry, attribute);
  const values = valuesOf(entry, ranged);
  let current: Entry = entry;
  while (values.length < MAX_VALUES) {
    const end = RANGE.exec(ranged!)![3]!;
    if (end === '*') break;
    const next = `${attribute};range=${Number(end) + 1}-*`;
    const { searchEntries } = await connection.search(current.dn, { scope: 'base', filter: '(objectClass=*)', attributes: [next], timeLimit: options.timeLimitSeconds });
    current = searchEntries[0] ?? { dn: current.dn };
    ranged = Object.keys(current).find((key) => RANGE.exec(key)?.[1]?.toLowerCase() === wanted);
    if (ranged === undefined) break;
    const more = valuesOf(current, ranged);
    if (more.length === 0) break;
    values.push(...more);
  }
  return values;
}
