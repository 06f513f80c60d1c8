import type { NotificationKind } from '../config/schema.js';
import type { Locale } from '../../client/i18n.js';

/**
 * What a mail may say. Deliberately no field for a code, password, token or link with a secret
 * in it: the templates cannot leak what they are never given. `factor` is a kind, never a device
 * name the user typed.
 */
export interface NotificationFacts {
  displayName: string;
  /** Epoch ms of the event. */
  at: number;
  clientIp?: string;
  /** "Chrome on Windows", from the user agent (coarse on purpose). */
  browser?: string;
  factor?: string;
  /** The portal's sign-in methods page: a plain address, no token. */
  methodsUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

type Lines = { subject: string; lead: (f: NotificationFacts, factor: string) => string };

const FACTOR_NAMES: Record<Locale, Record<string, string>> = {
  en: {
    totp: 'an authenticator app',
    hotp: 'a hardware token',
    webauthn: 'a passkey or security key',
    push: 'the phone app',
    recovery_code: 'recovery codes',
    sms_otp: 'a mobile number for text-message codes',
    all: 'all your sign-in methods',
  },
  'zh-TW': {
    totp: '驗證器應用程式',
    hotp: '硬體令牌',
    webauthn: '通行金鑰或安全金鑰',
    push: '手機應用程式',
    recovery_code: '復原碼',
    sms_otp: '接收簡訊驗證碼的手機號碼',
    all: '您所有的登入方式',
  },
};

const TEXT: Record<Locale, Record<NotificationKind, Lines> & { greeting: (name: string) => string; when: string; from: string; browser: string; notYou: string; review: string }> =
  {
    en: {
      greeting: (name) => `Hello ${name},`,
      when: 'When',
      from: 'From address',
      browser: 'Browser',
      notYou: 'If this was not you, change your password now and tell your IT desk.',
      review: 'Review your sign-in methods',
      factor_added: { subject: 'A sign-in method was added to your account', lead: (_f, factor) => `A new second sign-in step was added to your account: ${factor}.` },
      factor_removed: { subject: 'A sign-in method was removed from your account', lead: (_f, factor) => `A second sign-in step was removed from your account: ${factor}.` },
      recovery_codes_used: { subject: 'A recovery code was used on your account', lead: () => 'One of your recovery codes was just used to sign in. Each code works once.' },
      recovery_codes_created: {
        subject: 'New recovery codes were created for your account',
        lead: () => 'New recovery codes were created for your account. Any older codes no longer work.',
      },
      account_locked: {
        subject: 'Your account has been locked',
        lead: () => 'Your account was locked after too many failed sign-in attempts, or at your request. Your IT desk can unlock it.',
      },
      new_browser: { subject: 'Sign-in from a new browser', lead: () => 'Your account was just signed in to from a browser it has not been used from before.' },
      not_me: { subject: 'You reported a sign-in request as not yours', lead: () => 'You pressed "This wasn’t me" on a sign-in request on your phone. That sign-in was refused.' },
      phone_enrolled: {
        subject: 'Your phone is set up for sign-in',
        lead: () => 'The Gatehouse phone app was set up on a phone for your account. It can now approve your sign-ins.',
      },
    },
    'zh-TW': {
      greeting: (name) => `${name} 您好：`,
      when: '時間',
      from: '來源位址',
      browser: '瀏覽器',
      notYou: '若這不是您本人的操作，請立即變更密碼並通知資訊服務台。',
      review: '檢視您的登入方式',
      factor_added: { subject: '您的帳號新增了一種登入方式', lead: (_f, factor) => `您的帳號新增了一種第二道登入驗證：${factor}。` },
      factor_removed: { subject: '您的帳號移除了一種登入方式', lead: (_f, factor) => `您的帳號移除了一種第二道登入驗證：${factor}。` },
      recovery_codes_used: { subject: '您的帳號使用了一組復原碼', lead: () => '您的一組復原碼剛被用來登入。每組復原碼只能使用一次。' },
      recovery_codes_created: { subject: '您的帳號已產生新的復原碼', lead: () => '您的帳號已產生新的復原碼，舊的復原碼已全部失效。' },
      account_locked: { subject: '您的帳號已被鎖定', lead: () => '您的帳號因登入失敗次數過多或應您的要求而被鎖定。資訊服務台可以為您解除鎖定。' },
      new_browser: { subject: '有新的瀏覽器登入您的帳號', lead: () => '剛剛有一個先前未曾使用過的瀏覽器登入了您的帳號。' },
      not_me: { subject: '您回報了一筆不是您本人的登入要求', lead: () => '您在手機上對一筆登入要求按下了「這不是我」，該次登入已被拒絕。' },
      phone_enrolled: { subject: '您的手機已設定為登入裝置', lead: () => '已有一支手機為您的帳號設定了 Gatehouse 手機應用程式，今後可用它核准您的登入。' },
    },
  };

/** Text for an HTML body: every value the mail shows passes through here. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Control characters (CR, LF, …) never reach a mail: not in a body line, never in a header. */
function clean(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').slice(0, 200);
}

export function renderNotification(kind: NotificationKind, locale: Locale, facts: NotificationFacts): RenderedMail {
  const t = TEXT[locale];
  const lines = t[kind];
  const factor = FACTOR_NAMES[locale][facts.factor ?? ''] ?? FACTOR_NAMES[locale].all!;
  const name = clean(facts.displayName);
  const lead = lines.lead(facts, factor);
  const rows: [string, string][] = [[t.when, `${new Date(facts.at).toISOString().replace('T', ' ').slice(0, 19)} UTC`]];
  if (facts.clientIp) rows.push([t.from, clean(facts.clientIp)]);
  if (facts.browser) rows.push([t.browser, clean(facts.browser)]);
  const url = facts.methodsUrl;
  const text = [t.greeting(name), '', lead, '', ...rows.map(([k, v]) => `${k}: ${v}`), '', t.notYou, '', `${t.review}: ${url}`, ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    `<p>${escapeHtml(t.greeting(name))}</p>`,
    `<p>${escapeHtml(lead)}</p>`,
    `<table>${rows.map(([k, v]) => `<tr><th style="text-align:start;padding-inline-end:1em">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`,
    `<p><strong>${escapeHtml(t.notYou)}</strong></p>`,
    `<p><a href="${escapeHtml(url)}">${escapeHtml(t.review)}</a></p>`,
    '</body></html>',
  ].join('\n');
  return { subject: lines.subject, text, html };
}
