import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuplicateCredentialError, type Storage, type WebAuthnCredential } from '../storage.js';
import type { OpenStorage } from './storage-contract.js';

const NOW = Date.UTC(2026, 0, 1);

type NewCredential = Omit<WebAuthnCredential, 'createdAt' | 'lastUsedAt'>;
const credential = (id: string, username = 'alice', overrides: Partial<NewCredential> = {}): NewCredential => ({
  id,
  username,
  userHandle: `handle-of-${username}`,
  publicKey: Buffer.from(`cose key of ${id}`),
  counter: 0,
  transports: ['usb', 'nfc'],
  aaguid: '00000000-0000-0000-0000-000000000000',
  backupEligible: false,
  backupState: false,
  userVerified: true,
  discoverable: null,
  name: 'YubiKey',
  ...overrides,
});

/**
 * What every storage backend must do, run against each one (SQLite in memory in unit tests,
 * a real PostgreSQL in integration tests), as kv-contract.ts does for the KV stores.
 */
export function describeWebAuthnCredentialsContract(backend: string, open: OpenStorage): void {
  describe(backend, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    describe('webauthn credentials', () => {
      it('stores a credential and reads every field back', async () => {
        const input = credential('cred-1', 'alice', { counter: 7, backupEligible: true, backupState: true, discoverable: true, transports: ['internal', 'hybrid'] });
        const created = await storage.webauthnCredentials.create(input, NOW);
        expect(created).toEqual({ ...input, createdAt: NOW, lastUsedAt: null });
        expect(await storage.webauthnCredentials.get('cred-1')).toEqual(created);
      });

      it.each([[null], [true], [false]])('keeps discoverable = %s as given', async (discoverable) => {
        await storage.webauthnCredentials.create(credential('c', 'alice', { discoverable }), NOW);
        expect((await storage.webauthnCredentials.get('c'))!.discoverable).toBe(discoverable);
      });

      it('keeps an empty transport list empty', async () => {
        await storage.webauthnCredentials.create(credential('c', 'alice', { transports: [] }), NOW);
        expect((await storage.webauthnCredentials.get('c'))!.transports).toEqual([]);
      });

      it('keeps its own copy of the public key', async () => {
        const publicKey = Buffer.from('key bytes');
        await storage.webauthnCredentials.create(credential('c', 'alice', { publicKey }), NOW);
        publicKey.fill(0);
        expect((await storage.webauthnCredentials.get('c'))!.publicKey.toString()).toBe('key bytes');
      });

      it('refuses an id registered already, to the same or another user, naming it', async () => {
        await storage.webauthnCredentials.create(credential('dup', 'alice'), NOW);
        await expect(storage.webauthnCredentials.create(credential('dup', 'alice'), NOW)).rejects.toBeInstanceOf(DuplicateCredentialError);
        await expect(storage.webauthnCredentials.create(credential('dup', 'bob'), NOW)).rejects.toMatchObject({ credentialId: 'dup' });
        expect(await storage.webauthnCredentials.get('dup')).toMatchObject({ username: 'alice' });
      });

      it('treats ids as case-sensitive (base64url)', async () => {
        await storage.webauthnCredentials.create(credential('AbC'), NOW);
        await storage.webauthnCredentials.create(credential('abc'), NOW);
        expect(await storage.webauthnCredentials.get('ABC')).toBeUndefined();
      });

      it.each([-1, 1.5, 2 ** 32, Number.NaN])('refuses counter %s', async (counter) => {
        await expect(storage.webauthnCredentials.create(credential('c', 'alice', { counter }), NOW)).rejects.toThrow(RangeError);
      });

      it("lists a user's credentials oldest first, and only theirs", async () => {
        await storage.webauthnCredentials.create(credential('second', 'alice'), NOW + 1);
        await storage.webauthnCredentials.create(credential('bobs', 'bob'), NOW);
        await storage.webauthnCredentials.create(credential('first', 'alice'), NOW);
        expect((await storage.webauthnCredentials.listForUser('alice')).map((c) => c.id)).toEqual(['first', 'second']);
        expect(await storage.webauthnCredentials.listForUser('Alice')).toEqual([]);
      });

      it('renames and removes once', async () => {
        await storage.webauthnCredentials.create(credential('c'), NOW);
        expect(await storage.webauthnCredentials.rename('c', 'Laptop')).toBe(true);
        expect((await storage.webauthnCredentials.get('c'))!.name).toBe('Laptop');
        expect(await storage.webauthnCredentials.remove('c')).toBe(true);
        expect(await storage.webauthnCredentials.remove('c')).toBe(false);
        expect(await storage.webauthnCredentials.rename('c', 'x')).toBe(false);
      });
    });

    describe('webauthn user handles', () => {
      it('makes a handle once and returns the same one afterwards', async () => {
        let made = 0;
        const make = () => `h${++made}`;
        expect(await storage.webauthnCredentials.userHandleFor('alice', make)).toBe('h1');
        expect(await storage.webauthnCredentials.userHandleFor('alice', make)).toBe('h1');
        expect(made).toBe(1);
        expect(await storage.webauthnCredentials.userHandleFor('bob', make)).toBe('h2');
        expect(await storage.webauthnCredentials.findUserByHandle('h1')).toBe('alice');
        expect(await storage.webauthnCredentials.findUserByHandle('h2')).toBe('bob');
        expect(await storage.webauthnCredentials.findUserByHandle('h3')).toBeUndefined();
      });

      it('gives racing first calls one handle', async () => {
        const handles = await Promise.all(Array.from({ length: 10 }, (_, i) => storage.webauthnCredentials.userHandleFor('alice', () => `h${i}`)));
        expect(new Set(handles).size).toBe(1);
      });
    });

    describe('webauthn recordUse (compare-and-set)', () => {
      it('moves the counter and backup state only from the expected counter', async () => {
        await storage.webauthnCredentials.create(credential('c', 'alice', { counter: 5, backupEligible: true }), NOW);
        expect(await storage.webauthnCredentials.recordUse('c', { expectedCounter: 4, counter: 9, backupState: true }, NOW + 1)).toBe(false);
        expect(await storage.webauthnCredentials.get('c')).toMatchObject({ counter: 5, backupState: false, lastUsedAt: null });
        expect(await storage.webauthnCredentials.recordUse('c', { expectedCounter: 5, counter: 6, backupState: true }, NOW + 2)).toBe(true);
        expect(await storage.webauthnCredentials.get('c')).toMatchObject({ counter: 6, backupState: true, lastUsedAt: NOW + 2 });
      });

      it('lets exactly one of 20 concurrent uses with the same expectation win', async () => {
        await storage.webauthnCredentials.create(credential('c', 'alice', { counter: 1 }), NOW);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => storage.webauthnCredentials.recordUse('c', { expectedCounter: 1, counter: 2 + i, backupState: false }, NOW)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('answers false for an unknown credential', async () => {
        expect(await storage.webauthnCredentials.recordUse('nope', { expectedCounter: 0, counter: 1, backupState: false }, NOW)).toBe(false);
      });
    });

    describe('resetUser and webauthn', () => {
      it("removes the user's credentials and handle, and leaves other users alone", async () => {
        await storage.webauthnCredentials.userHandleFor('alice', () => 'ha');
        await storage.webauthnCredentials.userHandleFor('bob', () => 'hb');
        await storage.webauthnCredentials.create(credential('a1', 'alice'), NOW);
        await storage.webauthnCredentials.create(credential('b1', 'bob'), NOW);

        await storage.userState.resetUser('alice');

        expect(await storage.webauthnCredentials.listForUser('alice')).toEqual([]);
        expect(await storage.webauthnCredentials.get('a1')).toBeUndefined();
        expect(await storage.webauthnCredentials.findUserByHandle('ha')).toBeUndefined();
        expect(await storage.webauthnCredentials.userHandleFor('alice', () => 'new')).toBe('new');
        expect(await storage.webauthnCredentials.listForUser('bob')).toHaveLength(1);
        expect(await storage.webauthnCredentials.findUserByHandle('hb')).toBe('bob');
      });
    });
  });
}
