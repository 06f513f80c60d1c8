import type { MessageKey } from '../i18n.js';
import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';

export type PushProblem = 'rate_limited' | 'suspended' | 'throttled' | 'no_device' | 'csrf' | 'denied' | 'expired' | 'unavailable';

export interface PushWaitPageModel extends PageContext {
  csrfToken: string;
  redirectTarget?: string;
  /** The approval being waited for; absent when the page reports a problem instead. */
  waiting?: { approvalId: string; number: string; secondsLeft: number; deviceName: string };
  problem?: PushProblem;
}

const PROBLEMS: Record<PushProblem, MessageKey> = {
  rate_limited: 'push.error_rate_limited',
  suspended: 'push.error_suspended',
  throttled: 'push.error_throttled',
  no_device: 'push.error_no_device',
  csrf: 'push.error_csrf',
  denied: 'push.state_denied',
  expired: 'push.state_expired',
  unavailable: 'push.error_unavailable',
};

/**
 * Waiting for the phone: the number to carry over, shown big, and a countdown. static/push-sign-in.js
 * polls the state and submits the completion form once approved; without it, the user presses it.
 */
export function renderPushWaitPage(model: PushWaitPageModel): string {
  const { t, waiting, problem } = model;
  const back = `${model.basePath}second-factor${model.redirectTarget ? `?rd=${encodeURIComponent(model.redirectTarget)}` : ''}`;
  const message = problem !== undefined && Object.hasOwn(PROBLEMS, problem) ? PROBLEMS[problem] : undefined;
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('push.wait_title')}</h1>
${message !== undefined && html`<div class="alert" role="alert"><p>${t(message)}</p></div>`}
${
  waiting !== undefined &&
  html`<div id="push-wait" data-status-url="${model.basePath}second-factor/push/${waiting.approvalId}" data-seconds="${String(waiting.secondsLeft)}">
<p class="lead">${t('push.wait_intro', { device: waiting.deviceName })}</p>
<p class="push-number" aria-label="${t('push.wait_number_label')}"><strong id="push-number">${waiting.number}</strong></p>
<p>${t('push.wait_seconds_left')} <span id="push-countdown">${String(waiting.secondsLeft)}</span></p>
<p id="push-status" role="status" aria-live="polite"></p>
<p id="push-approved" hidden>${t('push.wait_approved')}</p>
<div id="push-denied" class="alert" role="alert" hidden><p>${t('push.state_denied')}</p></div>
<div id="push-expired" class="alert" role="alert" hidden><p>${t('push.state_expired')}</p></div>
<p class="hint">${t('push.wait_keep_open')}</p>
<form id="push-complete" class="form" method="post" action="${model.basePath}second-factor/push/${waiting.approvalId}/complete">
<input type="hidden" name="csrf" value="${model.csrfToken}">
${model.redirectTarget !== undefined && html`<input type="hidden" name="rd" value="${model.redirectTarget}">`}
<button type="submit" class="button button-secondary">${t('push.wait_continue')}</button>
</form>
</div>`
}
<p><a href="${back}">${t('push.try_again')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('push.wait_title'), hasError: message !== undefined, body, script: waiting ? 'push-sign-in' : undefined });
}
