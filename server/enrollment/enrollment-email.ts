import type { Config } from '../config/schema.js';
import { createMailSender } from '../mail/mail-sender.js';
import type { Locale } from '../../client/i18n.js';

export interface EnrollmentMailer {
  sendEnrollmentCode(input: { to: string; displayName: string; code: string; expiresAt: number; portalUrl: string; locale: Locale }): Promise<void>;
  close(): void;
}

const TEXT: Record<Locale, { subject: string; body: (v: { name: string; code: string; minutes: number; url: string }) => string }> = {
  en: {
    subject: 'Your Gatehouse registration code',
    body: ({ name, code, minutes, url }) =>
      `Hello ${name},\n\nSomeone — we hope you — asked to set up a second sign-in step for your account.\n\n` +
      `Your registration code: ${code}\n\nIt works once, for the next ${minutes} minutes, on ${url}\n\n` +
      `If this was not you, someone knows your password: change it and tell your IT desk.\n`,
  },
  'zh-TW': {
    subject: 'Gatehouse 註冊驗證碼',
    body: ({ name, code, minutes, url }) =>
      `${name} 您好：\n\n有人（希望是您本人）要求為您的帳號設定第二道登入驗證。\n\n` +
      `您的註冊驗證碼：${code}\n\n此驗證碼僅能使用一次，${minutes} 分鐘內有效，請於 ${url} 輸入。\n\n` +
      `若這不是您本人的操作，代表有人知道您的密碼：請立即變更密碼並通知資訊服務台。\n`,
  },
};

/** Sends enrollment codes through the configured SMTP server. */
export function createEnrollmentMailer(smtp: NonNullable<Config['smtp']>, now: () => number): EnrollmentMailer {
  const mail = createMailSender(smtp);
  return {
    async sendEnrollmentCode({ to, displayName, code, expiresAt, portalUrl, locale }) {
      const text = TEXT[locale];
      const minutes = Math.max(1, Math.round((expiresAt - now()) / 60_000));
      await mail.send({ to, subject: text.subject, text: text.body({ name: displayName, code, minutes, url: portalUrl }) });
    },
    close: () => mail.close(),
  };
}

/** "a***e@corp.example": enough for the user to recognise, little for anyone else. */
export function maskEmail(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 1) return null;
  const local = address.slice(0, at);
  const shown = local.length <= 2 ? `${local[0]}*` : `${local[0]}${'*'.repeat(Math.min(local.length - 2, 6))}${local[local.length - 1]}`;
  return `${shown}${address.slice(at)}`;
}
