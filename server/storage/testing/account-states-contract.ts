import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../storage.js';
import type { OpenStorage } from './storage-contract.js';

const NOW = Date.UTC(2026, 2, 1);

/**
 * What every storage backend must do, run against each one (SQLite in memory in unit tests,
 * a real PostgreSQL in integration tests), as kv-contract.ts does for the KV stores.
 */
export function describeAccountStatesContract(backend: string, open: OpenStorage): void {
  describe(backend, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    describe('account states', () => {
      it('an account is enabled until disabled; the state keeps time, actor and reason', async () => {
        expect(await storage.accountStates.get('bob')).toBeUndefined();
        await storage.accountStates.disable('bob', { actor: 'alice', reason: 'left the company', now: NOW });
        expect(await storage.accountStates.get('bob')).toEqual({ username: 'bob', disabledAt: NOW, disabledBy: 'alice', reason: 'left the company' });
        expect(await storage.accountStates.get('alice')).toBeUndefined();
      });

      it('disabling twice keeps the first disabling (idempotent)', async () => {
        await storage.accountStates.disable('bob', { actor: 'alice', reason: null, now: NOW });
        await storage.accountStates.disable('bob', { actor: 'cli:root', reason: 'again', now: NOW + 1000 });
        expect(await storage.accountStates.get('bob')).toEqual({ username: 'bob', disabledAt: NOW, disabledBy: 'alice', reason: null });
        expect(await storage.accountStates.listDisabled()).toHaveLength(1);
      });

      it('enable answers whether it was disabled, and a later disable starts afresh', async () => {
        expect(await storage.accountStates.enable('bob')).toBe(false);
        await storage.accountStates.disable('bob', { actor: 'alice', reason: null, now: NOW });
        expect(await storage.accountStates.enable('bob')).toBe(true);
        expect(await storage.accountStates.get('bob')).toBeUndefined();
        expect(await storage.accountStates.enable('bob')).toBe(false);
        await storage.accountStates.disable('bob', { actor: 'cli:root', reason: 'r', now: NOW + 5 });
        expect(await storage.accountStates.get('bob')).toMatchObject({ disabledAt: NOW + 5, disabledBy: 'cli:root' });
      });

      it('lists disabled accounts by name', async () => {
        for (const name of ['carol', 'alice', 'bob']) await storage.accountStates.disable(name, { actor: 'x', reason: null, now: NOW });
        await storage.accountStates.enable('alice');
        expect((await storage.accountStates.listDisabled()).map((s) => s.username)).toEqual(['bob', 'carol']);
      });

      it.each(["bob'; DROP TABLE account_states; --", 'bob%', '_', '', 'Bob', 'ａｌｉｃｅ', 'x'.repeat(10_000)])('names are data, matched exactly: %j', async (name) => {
        await storage.accountStates.disable('bob', { actor: 'alice', reason: null, now: NOW });
        expect(await storage.accountStates.get(name)).toBeUndefined();
        expect(await storage.accountStates.enable(name)).toBe(false);
        await storage.accountStates.disable(name, { actor: 'alice', reason: name, now: NOW });
        expect(await storage.accountStates.get(name)).toMatchObject({ username: name, reason: name });
        expect(await storage.accountStates.get('bob')).toBeDefined();
      });
    });
  });
}
