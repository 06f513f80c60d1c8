import { isMessageKey, type MessageKey } from '../i18n.js';
import { html } from './html.js';
import { renderLayout, type PageContext } from './layout.js';

export interface ErrorPageModel extends PageContext {
  status: number;
  /** Public message key, e.g. AppError.publicMessage. */
  messageKey: MessageKey;
  /** Correlates the page with the log line. */
  requestId?: string;
}

const TITLES: Readonly<Record<number, MessageKey>> = {
  400: 'error.title_400',
  401: 'error.title_401',
  403: 'error.title_403',
  404: 'error.title_404',
  413: 'error.title_413',
  429: 'error.title_429',
  500: 'error.title_500',
  502: 'error.title_502',
  503: 'error.title_503',
  504: 'error.title_504',
};

export function renderErrorPage(model: ErrorPageModel): string {
  const { t, status } = model;
  const title = t(titleKey(status));
  // The key reaches here from the server at run time; an unknown one must not print as raw text.
  const message = isMessageKey(model.messageKey) ? model.messageKey : status < 500 ? 'error.request_invalid' : 'error.internal';
  const body = html`<section class="card" aria-labelledby="page-heading">
<p class="eyebrow">${t('error.status', { status })}</p>
<h1 id="page-heading">${title}</h1>
<p class="lead">${t(message)}</p>
${model.requestId && html`<p class="reference">${t('error.reference', { reference: model.requestId })}</p>`}
<p><a href="${model.basePath}">${t('common.back_to_portal')}</a></p>
</section>`;
  return renderLayout({ ...model, title, hasError: true, body });
}

function titleKey(status: number): MessageKey {
  if (Object.hasOwn(TITLES, status)) return TITLES[status]!;
  return status >= 400 && status < 500 ? 'error.title_4xx' : 'error.title_500';
}
