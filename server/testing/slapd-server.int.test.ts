import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'ldapts';
import { threadStates } from './freeze-process.js';
import { PEOPLE, SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type TestSlapd } from './slapd-server.js';

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

  it('is frozen, every thread of it, when freeze() returns: what is sent after it waits for thaw()', async () => {
    const pid = Number(readFileSync(join(slapd.dir, 'slapd.pid'), 'utf8').trim());
    // Many rounds: SIGSTOP alone left some of slapd's threads running in about one round in
    // eight (load 3), long enough for them to answer a search sent after it.
    for (let round = 0; round < 200; round++) {
      slapd.freeze();
      const states = threadStates(pid);
      slapd.thaw();
      expect(states.length).toBeGreaterThan(1);
      expect(
        states.filter((state) => state !== 'T'),
        `threads still running in round ${round}`,
      ).toEqual([]);
    }
    const client = new Client({ url: slapd.url, timeout: 300 });
    try {
      await client.bind(SERVICE_DN, SERVICE_PASSWORD);
      slapd.freeze();
      try {
        await expect(client.search(SUFFIX, { scope: 'base' })).rejects.toThrow(/timed out/);
      } finally {
        slapd.thaw();
      }
    } finally {
      await client.unbind().catch(() => undefined);
    }
    const after = new Client({ url: slapd.url, timeout: 5_000 });
    await after.bind(SERVICE_DN, SERVICE_PASSWORD);
    expect((await after.search(SUFFIX, { scope: 'base' })).searchEntries).toHaveLength(1);
    await after.unbind();
  });
});
