import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewAuditEvent, Storage } from '../storage.js';
import type { OpenStorage } from './storage-contract.js';

const NOW = Date.UTC(2026, 0, 1);

const event = (overrides: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  at: NOW,
  kind: 'sign_in.failure',
  result: 'failure',
  subject: 'alice',
  actor: 'alice',
  ...overrides,
});

/**
 * What every storage backend must do, run against each one (SQLite in memory in unit tests,
 * a real PostgreSQL in integration tests), as kv-contract.ts does for the KV stores.
 */
export function describeAuditEventsContract(backend: string, open: OpenStorage): void {
  describe(backend, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    describe('audit events', () => {
      it('stores every field and reads it back, with increasing ids', async () => {
        const full: NewAuditEvent = {
          at: NOW,
          kind: 'sign_in.success',
          result: 'success',
          actor: 'alice',
          subject: 'alice',
          clientIp: '192.0.2.7',
          userAgent: 'Mozilla/5.0',
          site: 'wiki',
          reason: null,
          details: { factor: 'password', requestId: 'r-1', passwordless: false, count: 3, device: null },
        };
        const first = await storage.auditEvents.append(full);
        const second = await storage.auditEvents.append(event());
        expect(first).toEqual({ id: first.id, ...full });
        expect(second.id).toBeGreaterThan(first.id);
        expect(second).toMatchObject({ clientIp: null, userAgent: null, site: null, reason: null, details: {} });
        expect(await storage.auditEvents.query({ limit: 10 })).toEqual([second, first]);
      });

      it('answers newest first, by time then by id, and stops at the limit', async () => {
        await storage.auditEvents.append(event({ at: NOW + 2, reason: 'b' }));
        await storage.auditEvents.append(event({ at: NOW, reason: 'a' }));
        await storage.auditEvents.append(event({ at: NOW + 2, reason: 'c' }));
        await storage.auditEvents.append(event({ at: NOW + 1, reason: 'd' }));
        const reasons = async (limit: number) => (await storage.auditEvents.query({ limit })).map((e) => e.reason);
        expect(await reasons(10)).toEqual(['c', 'b', 'd', 'a']);
        expect(await reasons(2)).toEqual(['c', 'b']);
      });

      it.each([
        ['subject', { subject: 'bob' }, ['bob-2', 'bob-1']],
        ['kind', { kind: 'sign_out' }, ['bob-2', 'alice-2']],
        ['since (inclusive)', { since: NOW + 20 }, ['bob-2', 'alice-2']],
        ['until (exclusive)', { until: NOW + 20 }, ['bob-1', 'alice-1']],
        ['a time window', { since: NOW + 10, until: NOW + 30 }, ['alice-2', 'bob-1']],
        ['subject and kind', { subject: 'alice', kind: 'sign_out' }, ['alice-2']],
        ['nothing matching', { subject: 'carol' }, []],
      ])('filters by %s', async (_name, filter, expected) => {
        await storage.auditEvents.append(event({ at: NOW, subject: 'alice', reason: 'alice-1' }));
        await storage.auditEvents.append(event({ at: NOW + 10, subject: 'bob', reason: 'bob-1' }));
        await storage.auditEvents.append(event({ at: NOW + 20, subject: 'alice', kind: 'sign_out', reason: 'alice-2' }));
        await storage.auditEvents.append(event({ at: NOW + 30, subject: 'bob', kind: 'sign_out', reason: 'bob-2' }));
        expect((await storage.auditEvents.query({ limit: 100, ...filter })).map((e) => e.reason)).toEqual(expected);
      });

      it('tails: events after an id, oldest first, limited', async () => {
        const ids: number[] = [];
        for (let i = 0; i < 5; i++) ids.push((await storage.auditEvents.append(event({ at: NOW - i, reason: `r${i}` }))).id);
        expect((await storage.auditEvents.after(ids[1]!, 2)).map((e) => e.reason)).toEqual(['r2', 'r3']);
        expect(await storage.auditEvents.after(ids[4]!, 10)).toEqual([]);
        expect(await storage.auditEvents.after(0, 10)).toHaveLength(5);
      });

      it.each([0, -1, 1.5, 10_001, Number.NaN])('refuses limit %s', async (limit) => {
        await expect(storage.auditEvents.query({ limit })).rejects.toThrow(RangeError);
        await expect(storage.auditEvents.after(0, limit)).rejects.toThrow(RangeError);
      });

      it.each([
        ['password', { password: 'hunter2' }],
        ['code', { code: '123456' }],
        ['token', { token: 'abc' }],
        ['cookie', { cookie: 'gatehouse_session=abc' }],
        ['secret', { secret: 'JBSWY3DPEHPK3PXP' }],
        ['otp', { otp: '123456' }],
        ['response', { response: '{"id":"x"}' }],
        ['Password (case)', { Password: 'x' }],
        ['a nested object', { factor: { password: 'x' } }],
        ['an array', { device: ['a'] }],
        ['a long string', { device: 'x'.repeat(201) }],
        ['Infinity', { count: Number.POSITIVE_INFINITY }],
        ['too many keys', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]))],
      ])('refuses details with %s and stores nothing', async (_name, details) => {
        await expect(storage.auditEvents.append(event({ details: details as never }))).rejects.toThrow(RangeError);
        expect(await storage.auditEvents.query({ limit: 10 })).toEqual([]);
      });

      it('refuses a result outside success, failure and info', async () => {
        await expect(storage.auditEvents.append(event({ result: 'maybe' as never }))).rejects.toThrow();
      });

      it('bounds free text from the client', async () => {
        const stored = await storage.auditEvents.append(event({ userAgent: 'A'.repeat(10_000) }));
        expect(stored.userAgent).toHaveLength(512);
        expect((await storage.auditEvents.query({ limit: 1 }))[0]!.userAgent).toHaveLength(512);
      });

      describe('filters and keyset paging (the console audit log)', () => {
        beforeEach(async () => {
          await storage.auditEvents.append(event({ at: NOW, kind: 'sign_in.failure', clientIp: '192.0.2.1', site: 'wiki' }));
          await storage.auditEvents.append(event({ at: NOW + 1, kind: 'sign_in.success', result: 'success', clientIp: '192.0.2.2', site: 'wiki' }));
          await storage.auditEvents.append(event({ at: NOW + 1, kind: 'sign_in.success', result: 'success', subject: 'bob', clientIp: '192.0.2.1', site: 'git' }));
          await storage.auditEvents.append(event({ at: NOW + 2, kind: 'lockout', subject: 'bob', clientIp: '%', site: "o'site" }));
        });
        const ids = async (query: Parameters<Storage['auditEvents']['query']>[0]) => (await storage.auditEvents.query(query)).map((e) => e.id);

        it.each([
          ['result', { result: 'success' as const }, [3, 2]],
          ['address', { clientIp: '192.0.2.1' }, [3, 1]],
          ['site', { site: 'wiki' }, [2, 1]],
          ['a site with a quote', { site: "o'site" }, [4]],
          ['an address of `%` (a character, not a pattern)', { clientIp: '%' }, [4]],
          ['`_` matching nothing', { site: '_' }, []],
          ['several at once', { subject: 'bob', result: 'success' as const, site: 'git' }, [3]],
          ['events after an id', { afterId: 2 }, [4, 3]],
        ])('filters by %s', async (_name, filter, expected) => {
          expect(await ids({ ...filter, limit: 10 })).toEqual(expected);
        });

        it('pages newest first from a cursor, events at the same time by id, without skipping or repeating', async () => {
          expect(await ids({ limit: 2 })).toEqual([4, 3]);
          expect(await ids({ limit: 2, cursor: { at: NOW + 1, id: 3 } })).toEqual([2, 1]);
          expect(await ids({ limit: 2, cursor: { at: NOW, id: 1 } })).toEqual([]);
        });

        it('knows the highest id, not the newest by time', async () => {
          await storage.auditEvents.append(event({ at: NOW - 1000 }));
          expect(await storage.auditEvents.latestId()).toBe(5);
          expect((await storage.auditEvents.query({ limit: 1 }))[0]!.id).toBe(4);
        });

        it('counts events of the given kinds per interval, in the database', async () => {
          const counts = await storage.auditEvents.countByInterval({ kinds: ['sign_in.success', 'lockout'], since: NOW, until: NOW + 4, bucketMs: 2 });
          expect(counts.sort((a, b) => a.bucket - b.bucket || a.kind.localeCompare(b.kind))).toEqual([
            { bucket: 0, kind: 'sign_in.success', count: 2 },
            { bucket: 1, kind: 'lockout', count: 1 },
          ]);
          expect(await storage.auditEvents.countByInterval({ kinds: ['sign_in.success'], since: NOW + 2, until: NOW + 4, bucketMs: 1 })).toEqual([]);
        });

        it('pages oldest first from a cursor', async () => {
          expect(await ids({ limit: 2, order: 'oldest' })).toEqual([1, 2]);
          expect(await ids({ limit: 2, order: 'oldest', cursor: { at: NOW + 1, id: 2 } })).toEqual([3, 4]);
        });
      });
    });
  });
}
