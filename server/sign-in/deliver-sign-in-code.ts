import type { SmsSender } from '../factors/sms-otp/sms-sender.js';
import { escapeHtml, MailAddressError, type MailSender } from '../mail/mail-sender.js';
import type { CodeMessage, DeliveryOutcome } from './send-sign-in-code.js';

type Texts = { subject: string; greeting: (name: string) => string; code: string; expires: (minutes: number, site: string) => string; notYou: string };

const MAIL_TEXT: Record<CodeMessage['locale'], Texts> = {
  en: {
    subject: 'Your sign-in code',
    greeting: (name) => `Hello ${name},`,
    code: 'Your sign-in code:',
    expires: (minutes, site) => `It works once, for the next ${minutes} minutes, to sign in to ${site}. Never give it to anyone: IT staff will never ask for it.`,
    notYou: 'If you are not signing in right now, someone knows your password: change it and tell your IT desk.',
  },
  'zh-TW': {
    subject: '您的登入驗證碼',
    greeting: (name) => `${name} 您好：`,
    code: '您的登入驗證碼：',
    expires: (minutes, site) => `此驗證碼僅能使用一次，${minutes} 分鐘內有效，用於登入 ${site}。請勿提供給任何人：資訊人員絕不會向您索取。`,
    notYou: '若您目前沒有在登入，代表有人知道您的密碼：請立即變更密碼並通知資訊服務台。',
  },
};

const minutesLeft = (message: CodeMessage, now: number) => Math.max(1, Math.round((message.expiresAt - now) / 60_000));

/** The code by email, as text and HTML; the display name (from the directory) is escaped in the HTML. */
export function createEmailCodeDeliverer(mail: MailSender, now: () => number): (message: CodeMessage) => Promise<DeliveryOutcome> {
  return async (message) => {
    const text = MAIL_TEXT[message.locale];
    const minutes = minutesLeft(message, now());
    const plain = `${text.greeting(message.displayName)}\n\n${text.code} ${message.code}\n\n${text.expires(minutes, message.site)}\n\n${text.notYou}\n`;
    const html =
      `<!doctype html><html lang="${message.locale}"><body style="font-family:sans-serif">` +
      `<p>${escapeHtml(text.greeting(message.displayName))}</p>` +
      `<p>${escapeHtml(text.code)}</p><p style="font-size:28px;font-weight:bold;letter-spacing:4px">${escapeHtml(message.code)}</p>` +
      `<p>${escapeHtml(text.expires(minutes, message.site))}</p><p>${escapeHtml(text.notYou)}</p></body></html>`;
    try {
      await mail.send({ to: message.to, subject: text.subject, text: plain, html });
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: error instanceof MailAddressError ? 'address-refused' : 'smtp-failed' };
    }
  };
}

/** The code by SMS: sms_otp.message with {code}, {site} and {expires} (minutes) filled in. */
export function createSmsCodeDeliverer(sms: SmsSender, template: string, now: () => number): (message: CodeMessage) => Promise<DeliveryOutcome> {
  return async (message) => {
    const expiresMinutes = minutesLeft(message, now());
    const values: Record<string, string> = { code: message.code, site: message.site, expires: String(expiresMinutes) };
    const text = template.replace(/\{(code|site|expires)\}/g, (_, name: string) => values[name]!);
    const delivery = await sms.send({ to: message.to, code: message.code, site: message.site, expiresMinutes, text });
    return delivery.ok ? { ok: true } : { ok: false, reason: delivery.status ? `${delivery.reason}-${delivery.status}` : delivery.reason };
  };
}
