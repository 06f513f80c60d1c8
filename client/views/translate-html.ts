import type { MessageKey, Translate } from '../i18n.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';

/**
 * A message whose placeholders take markup (a <time>, say): the message's own text is escaped
 * like any other, each parameter is rendered as `html` renders values.
 */
export function translateHtml(t: Translate, key: MessageKey, params: Record<string, HtmlValue>): SafeHtml {
  const parts = t(key).split(/\{([A-Za-z0-9_]+)\}/);
  return html`${parts.map((part, i) => (i % 2 === 0 ? part : Object.hasOwn(params, part) ? params[part]! : `{${part}}`))}`;
}
