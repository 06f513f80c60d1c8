import { describe, expect, it } from 'vitest';
import type { SessionUser } from '../session/session.js';
import { assignToken, listTokenSummaries } from './assign-token.js';
import { createMemoryTokenStorage } from './testing/memory-token-storage.js';

const directory = {
  findUser: (name: string) => (['alice', 'bob'].includes(name.toLowerCase()) ? ({ username: name.toLowerCase() } as SessionUser) : undefined),
};

async function storeWith(serials: string[]) {
  const storage = createMemoryTokenStorage();
  await storage.otpDevices.importTokens(
    serials.map((serial) => ({ serial, username: null, kind: 'hotp', name: serial, secret: Buffer.alloc(20, 1), algorithm: 'SHA1', digits: 6, period: 30, confirmed: true })),
    0,
  );
  return storage.otpDevices;
}

describe('assignToken', () => {
  it('reports the owner when another assignment wins the race between the read and the write', async () => {
    const store = await storeWith(['A1']);
    const racing = { ...store, assign: async (serial: string) => (await store.assign(serial, 'bob')) && false };
    expect(await assignToken({ store: racing, directory }, 'A1', 'alice')).toEqual({ ok: false, reason: 'assigned-to-other', owner: 'bob' });
  });

  it('checks the user before the token, so an unknown user is named even for an unknown serial', async () => {
    const store = await storeWith([]);
    expect(await assignToken({ store, directory }, 'nope', 'mallory')).toEqual({ ok: false, reason: 'unknown-user' });
  });
});

describe('listTokenSummaries', () => {
  it('sorts serials numerically and carries no secret', async () => {
    const store = await storeWith(['10', '9', 'B', '100']);
    const list = await listTokenSummaries(store);
    expect(list.map((t) => t.serial)).toEqual(['9', '10', '100', 'B']);
    expect(Object.keys(list[0]!).sort()).toEqual(['digits', 'kind', 'lastUsedAt', 'period', 'serial', 'username']);
  });
});
