import type { MessageKey } from '../i18n.js';
import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { renderOtpCodeField } from './otp-code-field.js';

/** The two channels, as they appear in the portal's paths: second-factor/code/email, …/sms. */
export type SentCodeChannelName = 'email' | 'sms';

export type SentCodeProblem = 'cooldown' | 'rate_limited' | 'throttled' | 'no_destination' | 'csrf' | 'invalid_code' | 'expired' | 'malformed' | 'replayed' | 'not_sent';

export interface SentCodePageModel extends PageContext {
  csrfToken: string;
  redirectTarget?: string;
  channel: SentCodeChannelName;
  /** Where the code went, masked ("a••••@corp.example", "•••• 678"). */
  masked: string;
  /** How the delivery of this sign-in's code stands; absent: no code sent for it (or it expired). */
  delivery?: 'sending' | 'sent' | 'failed';
  /** Minutes the code stays valid. */
  minutesLeft?: number;
  /** Seconds until another code may be asked for; 0: now. */
  secondsToResend: number;
  digits: 6 | 8;
  problem?: SentCodeProblem;
}

const PROBLEMS: Record<SentCodeProblem, MessageKey> = {
  cooldown: 'sent_code.error_cooldown',
  rate_limited: 'sent_code.error_rate_limited',
  throttled: 'mfa.error_throttled',
  no_destination: 'sent_code.error_no_destination',
  csrf: 'mfa.error_csrf',
  invalid_code: 'sent_code.error_invalid_code',
  expired: 'sent_code.error_expired',
  malformed: 'mfa.error_malformed',
  replayed: 'sent_code.error_expired',
  not_sent: 'sent_code.error_not_sent',
};
const FIELD_PROBLEMS: ReadonlySet<SentCodeProblem> = new Set(['invalid_code', 'malformed']);

/**
 * A code sent by email or SMS: where it went (masked), how its delivery stands, the field to type
 * it, and when a new one may be asked for. The page never waits for the provider: "sending" until
 * it answered, "could not send — use another method" when it failed.
 */
export function renderSentCodePage(model: SentCodePageModel): string {
  const { t, channel, delivery, problem } = model;
  const base = `${model.basePath}second-factor/code/${channel}`;
  const query = model.redirectTarget ? `?rd=${encodeURIComponent(model.redirectTarget)}` : '';
  const title = t(channel === 'email' ? 'sent_code.title_email' : 'sent_code.title_sms');
  const message = problem !== undefined && Object.hasOwn(PROBLEMS, problem) ? PROBLEMS[problem] : undefined;
  const failed = delivery === 'failed';
  const canType = delivery === 'sending' || delivery === 'sent';
  const errorId = message !== undefined && problem !== undefined && FIELD_PROBLEMS.has(problem) ? 'form-error' : undefined;
  const hidden = html`<input type="hidden" name="csrf" value="${model.csrfToken}">
${model.redirectTarget !== undefined && html`<input type="hidden" name="rd" value="${model.redirectTarget}">`}`;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${title}</h1>
${message !== undefined && html`<div id="form-error" class="alert" role="alert"><p>${t(message, { seconds: String(model.secondsToResend) })}</p></div>`}
${failed && html`<div class="alert" role="alert"><p>${t(channel === 'email' ? 'sent_code.failed_email' : 'sent_code.failed_sms', { to: model.masked })}</p></div>`}
<p id="sent-code-status" class="lead" role="status"${delivery === 'sending' ? html` data-status-url="${base}/status" data-page-url="${base}${query}"` : ''}>${
    delivery === 'sending'
      ? t('sent_code.sending', { to: model.masked })
      : delivery === 'sent'
        ? t('sent_code.sent', { to: model.masked, minutes: String(model.minutesLeft ?? 1) })
        : failed
          ? ''
          : t('sent_code.none', { to: model.masked })
  }</p>
${
  canType &&
  html`<form class="form" method="post" action="${base}${query}">
${hidden}
${renderOtpCodeField({
  id: 'code',
  label: t('otp.code_label'),
  hint: t('sent_code.code_hint', { digits: new Intl.NumberFormat(model.locale).format(model.digits) }),
  digits: [model.digits],
  errorId,
  autofocus: true,
})}
<div><button type="submit" class="button button-primary button-block">${t('mfa.submit')}</button></div>
</form>`
}
${delivery === 'sending' && html`<p><a href="${base}${query}">${t('sent_code.check_again')}</a></p>`}
<form class="form" method="post" action="${base}/send">
${hidden}
${
  model.secondsToResend > 0
    ? html`<p id="resend-hint" class="hint">${t('sent_code.resend_wait', { seconds: String(model.secondsToResend) })}</p>`
    : html`<p id="resend-hint" class="hint">${t(canType || failed ? 'sent_code.resend_now' : 'sent_code.send_hint')}</p>`
}
<div><button type="submit" class="button ${canType ? 'button-secondary' : 'button-primary button-block'}" aria-describedby="resend-hint"${canType ? '' : html` autofocus`}>${t(canType || failed ? 'sent_code.resend' : channel === 'email' ? 'sent_code.send_email' : 'sent_code.send_sms')}</button></div>
</form>
<p><a href="${model.basePath}second-factor${query}">${t('sent_code.other_method')}</a></p>
</section>`;
  return renderLayout({ ...model, title, hasError: message !== undefined || failed, body, script: delivery === 'sending' ? 'sent-code' : undefined });
}
