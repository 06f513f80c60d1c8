import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditInput } from '../audit/audit-event.js';
import { configSchema, NOTIFICATION_KINDS, type NotificationKind } from '../config/schema.js';
import { createSilentLogger } from '../core/logger.js';
import type { SessionUser } from '../session/session.js';
import { isDeliverableAddress } from '../core/email-address.js';
import { createSecurityNotifier } from './security-notifier.js';
import { startSilentSmtp, startSmtpInbox } from './testing/smtp-inbox.js';

/** Audit events that call for each kind, as the use-cases write them. */
const EVENT_OF: Record<NotificationKind, AuditInput> = {
  factor_added: { kind: 'factor.enrolled', subject: 'bob', details: { kind: 'totp', device: 'd1' } },
  factor_removed: { kind: 'factor.removed', subject: 'bob', details: { kind: 'webauthn', device: 'c1' } },
  recovery_codes_used: { kind: 'second_factor.success', subject: 'bob', details: { factor: 'recovery_code', device: 'recovery' } },
  recovery_codes_created: { kind: 'recovery_codes.issued', subject: 'bob', details: { count: 10 } },
  account_locked: { kind: 'lockout', subject: 'bob', actor: 'system', reason: 'failures' },
  new_browser: {
    kind: 'sign_in.success',
    subject: 'bob',
    clientIp: '203.0.113.9',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/120.0',
    details: { factor: 'password', browser: 'new' },
  },
  not_me: { kind: 'push.not_me', subject: 'bob', details: { device: 'p1' } },
  phone_enrolled: { kind: 'push.enrolled', subject: 'bob', details: { device: 'p1', kind: 'push' } },
};

const users = new Map<string, SessionUser>();
const setUser = (username: string, email: string, displayName = 'Bob') => users.set(username, { username, displayName, email, groups: [] });
const directory = { findUser: (name: string) => users.get(name) };
const config = (overrides: Record<string, unknown> = {}) => configSchema.shape.notifications.parse({ enabled: true, ...overrides });
const smtp = (port: number) => ({ host: '127.0.0.1', port, security: 'none' as const, from: 'Gatehouse <gatehouse@corp.example>', timeout: 2 });

function notifierFor(port: number, options: { config?: Record<string, unknown>; locale?: 'en' | 'zh-TW' } = {}) {
  const audited: AuditInput[] = [];
  const notifier = createSecurityNotifier(
    {
      directory,
      browsers: { localeOf: async () => options.locale },
      logger: createSilentLogger(),
      now: () => Date.UTC(2026, 11, 5, 9, 30),
      audit: () => ({ record: async (input) => void audited.push(input) }),
    },
    { config: config(options.config), smtp: smtp(port), methodsUrl: 'https://auth.corp.example/methods', backoffMs: 5 },
  );
  return { notifier, audited };
}

let inbox: Awaited<ReturnType<typeof startSmtpInbox>>;
beforeAll(async () => {
  inbox = await startSmtpInbox();
});
afterAll(() => inbox.close());

describe('security notifications over SMTP', () => {
  it.each(NOTIFICATION_KINDS)('%s: one mail per event, in text and HTML, naming no secret', async (kind) => {
    setUser('bob', 'bob@corp.example');
    const { notifier, audited } = notifierFor(inbox.port);
    const before = inbox.mails.length;
    notifier.notice(EVENT_OF[kind]);
    await notifier.flush();
    notifier.close();
    const sent = inbox.mails.slice(before);
    expect(sent.map((m) => [m.kind, m.to])).toEqual([[kind, ['bob@corp.example']]]);
    expect(sent[0]!.text).toContain('Hello Bob,');
    expect(sent[0]!.html).toContain('<p>Hello Bob,</p>');
    expect(sent[0]!.text).toContain('https://auth.corp.example/methods');
    expect(sent[0]!.text).toContain('2026-12-05 09:30:00 UTC');
    expect(audited).toEqual([]);
  });

  it('writes in the language the user last signed in with, else the configured default', async () => {
    setUser('bob', 'bob@corp.example', '陳柏宇');
    for (const [locale, fallback, subject] of [
      ['zh-TW', 'en', '有新的瀏覽器登入您的帳號'],
      [undefined, 'zh-TW', '有新的瀏覽器登入您的帳號'],
      [undefined, 'en', 'Sign-in from a new browser'],
    ] as const) {
      const { notifier } = notifierFor(inbox.port, { locale, config: { default_locale: fallback } });
      const before = inbox.mails.length;
      notifier.notice(EVENT_OF.new_browser);
      await notifier.flush();
      notifier.close();
      const mail = inbox.mails[before]!;
      expect(mail.subject).toBe(subject);
      if (subject.startsWith('有')) expect(mail.text).toContain('陳柏宇 您好：');
      expect(mail.text).toContain('Chrome · Windows');
      expect(mail.text).toContain('203.0.113.9');
    }
  });

  it.each(['<img src=x onerror=alert(1)>', '"><script>alert(1)</script>', "Bob' onmouseover='x", 'Bob & <b>Co</b>', 'Bob\r\nBcc: eve@evil.example'])(
    'escapes a display name with markup in the HTML part, and keeps it out of the headers: %j',
    async (name) => {
      setUser('bob', 'bob@corp.example', name);
      const { notifier } = notifierFor(inbox.port);
      const before = inbox.mails.length;
      notifier.notice(EVENT_OF.factor_removed);
      await notifier.flush();
      notifier.close();
      const mail = inbox.mails[before]!;
      expect(mail.html).not.toMatch(/<(img|script|b)[\s>]/);
      expect(mail.html).not.toMatch(/' onmouseover/);
      if (name.includes('<')) expect(mail.html).toContain('&lt;');
      expect(mail.headers.some((h) => /^bcc:/i.test(h))).toBe(false);
      expect(mail.to).toEqual(['bob@corp.example']);
      // The name's CR LF became a space: it is body text on one line, never a line of its own.
      expect(mail.raw).not.toMatch(/\nBcc:/i);
    },
  );

  it.each([
    'bob@corp.example\r\nBcc: eve@evil.example',
    'bob@corp.example\nBcc: eve@evil.example',
    'bob@corp.example\rX: y',
    'Bob <bob@corp.example>',
    'bob@corp.example, eve@evil.example',
    '"bob\r\n"@corp.example',
    'bob@corp.example\u2028',
    'bob@corp.example\u0000',
    'bob@',
    '@corp.example',
    `${'a'.repeat(65)}@corp.example`,
    `bob@${'a'.repeat(250)}.example`,
  ])('refuses an address that is not one plain address (no header injection): %j', async (address) => {
    expect(isDeliverableAddress(address)).toBe(false);
    setUser('bob', address);
    const { notifier, audited } = notifierFor(inbox.port);
    const before = inbox.mails.length;
    notifier.notice(EVENT_OF.account_locked);
    await notifier.flush();
    notifier.close();
    expect(inbox.mails.length).toBe(before);
    expect(audited).toEqual([
      expect.objectContaining({ kind: 'notification.failed', subject: 'bob', reason: 'bad-address', details: expect.objectContaining({ kind: 'account_locked' }) }),
    ]);
    expect(JSON.stringify(audited)).not.toContain('evil');
  });

  it('sends nothing for failed attempts or other events', async () => {
    setUser('bob', 'bob@corp.example');
    const { notifier } = notifierFor(inbox.port);
    const before = inbox.mails.length;
    const events: AuditInput[] = [
      { kind: 'sign_in.failure', subject: 'bob', reason: 'invalid-credentials', details: { factor: 'password' } },
      { kind: 'second_factor.failure', subject: 'bob', details: { factor: 'recovery_code' } },
      { kind: 'second_factor.replay', subject: 'bob', details: { factor: 'totp' } },
      { kind: 'second_factor.throttled', subject: 'bob', details: { factor: 'recovery_code' } },
      { kind: 'factor.enroll_refused', subject: 'bob', details: { kind: 'totp' } },
      { kind: 'push.wrong_number', subject: 'bob' },
      { kind: 'push.denied', subject: 'bob' },
      { kind: 'sign_in.success', subject: 'bob', details: { factor: 'password', browser: 'known' } },
      { kind: 'sign_in.success', subject: 'bob', details: { factor: 'password' } },
      { kind: 'second_factor.success', subject: 'bob', details: { factor: 'totp' } },
      { kind: 'enrollment.email_sent', subject: 'bob' },
      { kind: 'factor.enrolled', details: { kind: 'totp' } },
    ];
    for (const event of events) notifier.notice(event);
    await notifier.flush();
    notifier.close();
    expect(inbox.mails.length).toBe(before);
  });

  it('a kind turned off sends nothing; the others still go', async () => {
    setUser('bob', 'bob@corp.example');
    const { notifier } = notifierFor(inbox.port, { config: { kinds: { new_browser: false } } });
    const before = inbox.mails.length;
    notifier.notice(EVENT_OF.new_browser);
    notifier.notice(EVENT_OF.account_locked);
    await notifier.flush();
    notifier.close();
    expect(inbox.mails.slice(before).map((m) => m.kind)).toEqual(['account_locked']);
  });

  it('a user without an address is skipped quietly', async () => {
    setUser('bob', '');
    const { notifier, audited } = notifierFor(inbox.port);
    const before = inbox.mails.length;
    notifier.notice(EVENT_OF.account_locked);
    await notifier.flush();
    notifier.close();
    expect(inbox.mails.length).toBe(before);
    expect(audited).toEqual([]);
  });
});

describe('a relay that fails', () => {
  it('refusing: retried `retries` times with pauses, then audited as notification.failed with its status only', async () => {
    const refusing = await startSmtpInbox('refuse');
    try {
      setUser('bob', 'bob@corp.example');
      const { notifier, audited } = notifierFor(refusing.port, { config: { retries: 2 } });
      notifier.notice(EVENT_OF.recovery_codes_used);
      await notifier.flush();
      notifier.close();
      expect(refusing.refusedCount()).toBe(3);
      expect(audited).toEqual([
        expect.objectContaining({
          kind: 'notification.failed',
          subject: 'bob',
          reason: 'smtp',
          result: 'failure',
          details: { kind: 'recovery_codes_used', attempts: 3, status: 550 },
        }),
      ]);
    } finally {
      await refusing.close();
    }
  });

  it('hanging: notice() returns before the relay is even reached; the queue is bounded and drops the excess', async () => {
    const silent = await startSilentSmtp();
    try {
      setUser('bob', 'bob@corp.example');
      const { notifier, audited } = notifierFor(silent.port, { config: { retries: 0, queue_size: 1 } });
      for (let i = 0; i < 4; i++) notifier.notice(EVENT_OF.account_locked);
      // Two sends in flight (each waiting on the silent relay), one queued, one dropped.
      expect(silent.connections()).toBe(0);
      expect(audited).toEqual([expect.objectContaining({ kind: 'notification.failed', reason: 'queue-full' })]);
      await silent.connected();
      await notifier.flush();
      notifier.close();
      expect(audited.filter((a) => a.reason === 'smtp')).toHaveLength(3);
    } finally {
      await silent.close();
    }
  });
});
