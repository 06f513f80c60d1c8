import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redeemEnrollmentCode } from '../enrollment/enrollment-codes.js';
import { issueEnrollmentLink } from './issue-enrollment-link.js';
import { ADMIN, createAdminFixture, NOW, type AdminFixture } from './testing/admin-fixture.js';

let f: AdminFixture;
beforeEach(() => {
  f = createAdminFixture();
});
afterEach(() => f.close());

const options = { enabled: true, ttlSeconds: 3600, portalUrl: new URL('https://auth.corp.example/portal/') };

describe('issueEnrollmentLink', () => {
  it('issues a single-use code for the user, with the page to enter it; the audit log never holds the code', async () => {
    const result = await issueEnrollmentLink(f.deps, ADMIN, 'Bob', options);
    expect(result).toMatchObject({ ok: true, username: 'bob', link: 'https://auth.corp.example/portal/methods', expiresAt: NOW + 3_600_000 });
    if (!result.ok) return;
    expect(result.link).not.toContain(result.code);
    const events = await f.storage.auditEvents.query({ limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'admin.enrollment_issued', actor: 'alice', subject: 'bob', details: { method: 'admin', until: NOW + 3_600_000 } });
    const raw = result.code.replace('-', '');
    expect(JSON.stringify(events)).not.toContain(raw.slice(0, 5));
    expect(await redeemEnrollmentCode(f.storage, { username: 'alice', code: result.code, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
    expect(await redeemEnrollmentCode(f.storage, { username: 'bob', code: result.code, now: NOW })).toEqual({ ok: true });
    expect(await redeemEnrollmentCode(f.storage, { username: 'bob', code: result.code, now: NOW })).toEqual({ ok: false, reason: 'expired_or_used' });
  });

  it('the code expires after the ttl', async () => {
    const result = await issueEnrollmentLink(f.deps, ADMIN, 'bob', { ...options, ttlSeconds: 60 });
    if (!result.ok) throw new Error('not issued');
    expect(await redeemEnrollmentCode(f.storage, { username: 'bob', code: result.code, now: NOW + 60_000 })).toEqual({ ok: false, reason: 'expired_or_used' });
  });

  it.each([
    ['links turned off', 'bob', { ...options, enabled: false }, 'links_disabled'],
    ['a user disabled in the users file', 'carol', options, 'user_disabled'],
    ['an unknown user', 'nobody', options, 'unknown_user'],
    ['an empty name', '', options, 'unknown_user'],
  ])('%s → %s, nothing issued or recorded', async (_name, user, opts, reason) => {
    expect(await issueEnrollmentLink(f.deps, ADMIN, user, opts)).toEqual({ ok: false, reason });
    expect(await f.storage.auditEvents.query({ limit: 10 })).toEqual([]);
  });
});
