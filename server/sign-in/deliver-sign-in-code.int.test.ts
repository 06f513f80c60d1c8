import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailSender, type MailSender } from '../mail/mail-sender.js';
import { codeFromMail, decodeMailParts, startSmtpSink, type SmtpSink } from '../testing/smtp-sink.js';
import { createEmailCodeDeliverer } from './deliver-sign-in-code.js';

let smtp: SmtpSink;
let mail: MailSender;
beforeAll(async () => {
  smtp = await startSmtpSink();
  mail = createMailSender({ host: '127.0.0.1', port: smtp.port, security: 'none', from: 'Gatehouse <gatehouse@corp.example>', timeout: 5 });
});
afterAll(async () => {
  mail?.close();
  await smtp?.close();
});

const NOW = 1_800_000_000_000;
const base = { to: 'alice@corp.example', code: '042917', expiresAt: NOW + 5 * 60_000, site: 'wiki.corp.example', displayName: 'Alice', locale: 'en' as const };

describe('sign-in codes by email', () => {
  it('sends the code in text and HTML, with the minutes left and the site', async () => {
    const deliver = createEmailCodeDeliverer(mail, () => NOW);
    const arrived = smtp.next('alice@corp.example');
    expect(await deliver(base)).toEqual({ ok: true });
    const received = await arrived;
    expect(codeFromMail(received)).toBe('042917');
    const text = decodeMailParts(received.raw).parts.find((p) => p.type === 'text/plain')!.body;
    expect(text).toContain('for the next 5 minutes, to sign in to wiki.corp.example');
  });

  it.each([
    'alice@corp.example\r\nBcc: mallory@evil.example',
    'alice@corp.example\nBcc: mallory@evil.example',
    'alice@corp.example\rBcc: mallory@evil.example',
    'alice@corp.example,mallory@evil.example',
    'alice@corp.example; mallory@evil.example',
    'Mallory <mallory@evil.example>',
    '"x"@corp.example',
    'alice@corp.example\u2028Bcc: mallory@evil.example',
    'alice@corp.example\u0000',
    'alice@@corp.example',
    'alice',
    `${'a'.repeat(250)}@corp.example`,
  ])('refuses the address %j before any SMTP: no header, no second recipient', async (to) => {
    const deliver = createEmailCodeDeliverer(mail, () => NOW);
    const count = smtp.received.length;
    expect(await deliver({ ...base, to })).toEqual({ ok: false, reason: 'address-refused' });
    // A good mail after it arrives alone: nothing of the refused one went out.
    const arrived = smtp.next();
    await deliver(base);
    const next = await arrived;
    expect(smtp.received.length).toBe(count + 1);
    expect(next.to).toEqual(['alice@corp.example']);
    expect(next.raw).not.toMatch(/mallory|evil\.example/i);
  });

  it.each([
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['<script>alert("x")</script>', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'],
    ["Tom & \"Jerry\" 'O'Neil'", 'Tom &amp; &quot;Jerry&quot; &#39;O&#39;Neil&#39;'],
    ['<a href="https://evil.example">click</a>', '&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;'],
  ])('escapes the display name %j in the HTML part', async (displayName, escaped) => {
    const deliver = createEmailCodeDeliverer(mail, () => NOW);
    const arrived = smtp.next();
    await deliver({ ...base, displayName });
    const html = decodeMailParts((await arrived).raw).parts.find((p) => p.type === 'text/html')!.body;
    expect(html).toContain(escaped);
    expect(html).not.toContain(displayName);
  });

  it('writes zh-TW mail for a zh-TW sign-in', async () => {
    const deliver = createEmailCodeDeliverer(mail, () => NOW);
    const arrived = smtp.next();
    await deliver({ ...base, locale: 'zh-TW', displayName: '陳柏宇' });
    const received = await arrived;
    expect(decodeMailParts(received.raw).parts.find((p) => p.type === 'text/plain')!.body).toContain('陳柏宇 您好');
    expect(codeFromMail(received)).toBe('042917');
  });

  it('an SMTP server nobody listens on is a failed delivery, not an exception', async () => {
    const down = createMailSender({ host: '127.0.0.1', port: 1, security: 'none', from: 'g@corp.example', timeout: 1 });
    expect(await createEmailCodeDeliverer(down, () => NOW)(base)).toEqual({ ok: false, reason: 'smtp-failed' });
    down.close();
  });
});
