import { describeDriftAmount } from './device-text.js';
import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';
import { toSafeHref } from './safe-href.js';

export interface ClockDriftPageModel extends PageContext {
  /** The phone's clock offset from the server's; positive means the phone is ahead (fast). */
  driftSeconds: number;
  /** Where the sign-in was going; already checked by the server. */
  continueUrl: string;
}

/**
 * Shown once after a sign-in whose code matched only thanks to the learned drift (over 3
 * minutes): the code worked, but the phone should be fixed before it drifts out of the window.
 */
export function renderClockDriftPage(model: ClockDriftPageModel): string {
  const { t, locale, driftSeconds: drift } = model;
  const amount = Number.isFinite(drift) && drift !== 0 ? describeDriftAmount(t, locale, Math.abs(drift)) : undefined;
  const finding = amount === undefined ? t('drift.body_unknown') : t(drift > 0 ? 'drift.body_fast' : 'drift.body_slow', { amount });
  const body = html`<section class="card" aria-labelledby="page-heading">
<h1 id="page-heading">${t('drift.heading')}</h1>
<div class="notice" role="status"><p>${finding}</p></div>
<p>${t('drift.advice')}</p>
<p><a class="button button-primary" href="${toSafeHref(model.continueUrl) ?? model.basePath}" autofocus>${t('drift.continue')}</a></p>
</section>`;
  return renderLayout({ ...model, title: t('drift.title'), body });
}
