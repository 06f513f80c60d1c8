import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'ldapts';
import { PEOPLE, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type TestSlapd } from './slapd-server.js';

describe('the test slapd', () => {
  let slapd: TestSlapd;
  beforeAll(async () => {
    slapd = await startSlapd({ adSchema: true });
  });
  afterAll(async () => slapd?.close());

  it('serves the service account, counts its binds and keeps memberOf', async () => {
    await slapd.add(`uid=t1,${PEOPLE}`, {
      objectClass: ['inetOrgPerson', 'user'],
      uid: 't1',
      cn: 'T',
      sn: 'T',
      sAMAccountName: 't1',
      userAccountControl: '512',
      userPassword: 'pw',
    });
    const client = new Client({ url: slapd.url });
    await client.bind(SERVICE_DN, SERVICE_PASSWORD);
    const { searchEntries } = await client.search(PEOPLE, { filter: '(sAMAccountName=t1)', attributes: ['userAccountControl'] });
    await client.unbind();
    expect(searchEntries[0]?.userAccountControl).toBe('512');
    expect(slapd.binds(SERVICE_DN).length).toBe(1);
  });
});
