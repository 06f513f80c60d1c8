import type { Entry, SearchOptions } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { readAllValues, valuesOf } from './entry-values.js';
import type { LdapConnection } from './ldap-connection.js';

const DN = 'CN=Many Groups,CN=Users,DC=corp,DC=test';
const groups = (count: number) => Array.from({ length: count }, (_, i) => `CN=g${i},CN=Users,DC=corp,DC=test`);

/**
 * A domain controller that returns at most `maxValRange` values of memberOf, as AD does: the
 * attribute comes back named `memberOf;range=0-1499`, and each later range is asked for on the
 * entry itself (`memberOf;range=1500-*`), the last one ending in `*`.
 */
function rangingServer(all: string[], maxValRange: number) {
  const asked: string[] = [];
  const slice = (start: number): Entry => {
    const end = start + maxValRange - 1;
    const last = end >= all.length - 1;
    return { dn: DN, [`memberOf;range=${start}-${last ? '*' : end}`]: all.slice(start, end + 1) };
  };
  const connection: LdapConnection = {
    url: 'ldaps://dc.test',
    usable: true,
    async search(base: string, options: SearchOptions = {}) {
      const attribute = String(options.attributes?.[0]);
      asked.push(attribute);
      const start = Number(/;range=(\d+)-\*$/i.exec(attribute)?.[1]);
      return { searchEntries: base === DN && Number.isFinite(start) ? [slice(start)] : [], searchReferences: [] };
    },
    bind: async () => undefined,
    close: () => undefined,
  };
  return { connection, first: slice(0), asked };
}

describe('readAllValues', () => {
  it.each([
    [4000, 1500, 3],
    [3000, 1500, 2],
    [1501, 1500, 2],
    [12_345, 5000, 3],
  ])('reads all %i memberOf values of an entry ranged by %i, asking for each range after the first', async (count, maxValRange, ranges) => {
    const { connection, first, asked } = rangingServer(groups(count), maxValRange);
    const values = await readAllValues(connection, first, 'memberOf', { timeLimitSeconds: 5 });
    expect(values).toEqual(groups(count));
    expect(asked).toHaveLength(ranges - 1);
    expect(asked[0]).toBe(`memberOf;range=${maxValRange}-*`);
  });

  it('takes the attribute whatever case the server names it in, and unranged values as they are', async () => {
    const { connection, asked } = rangingServer([], 1500);
    expect(await readAllValues(connection, { dn: DN, MEMBEROF: groups(3) }, 'memberOf', { timeLimitSeconds: 5 })).toEqual(groups(3));
    expect(await readAllValues(connection, { dn: DN, 'MemberOf;Range=0-*': groups(2) }, 'memberOf', { timeLimitSeconds: 5 })).toEqual(groups(2));
    expect(asked).toEqual([]);
  });

  it('stops when a later range is missing or empty instead of asking for ever', async () => {
    const connection: LdapConnection = {
      url: 'ldaps://dc.test',
      usable: true,
      search: async () => ({ searchEntries: [{ dn: DN, 'memberOf;range=1500-2999': [] }], searchReferences: [] }),
      bind: async () => undefined,
      close: () => undefined,
    };
    expect(await readAllValues(connection, { dn: DN, 'memberOf;range=0-1499': groups(1500) }, 'memberOf', { timeLimitSeconds: 5 })).toHaveLength(1500);
    const gone: LdapConnection = { ...connection, search: async () => ({ searchEntries: [], searchReferences: [] }) };
    expect(await readAllValues(gone, { dn: DN, 'memberOf;range=0-1499': groups(1500) }, 'memberOf', { timeLimitSeconds: 5 })).toHaveLength(1500);
  });

  it('reads binary values as UTF-8 text', () => {
    expect(valuesOf({ dn: DN, cn: [Buffer.from('Zoë', 'utf8')] }, 'CN')).toEqual(['Zoë']);
  });
});
