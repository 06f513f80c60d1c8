import { isMessageKey, type MessageKey, type Translate } from '../../i18n.js';
import { html, type SafeHtml } from '../html.js';

/** Events whose reason is an administrator's own words (admin.disable): shown as written, never read as a code. */
const FREE_TEXT_KINDS: ReadonlySet<string> = new Set(['admin.disable']);

/** The words for an event's reason code, or undefined for free text and codes without words. */
export function reasonWords(t: Translate, kind: string, reason: string): string | undefined {
  if (FREE_TEXT_KINDS.has(kind)) return undefined;
  const key = `console.reason.${reason}`;
  return isMessageKey(key) ? t(key as MessageKey) : undefined;
}

/**
 * An event's reason in small text: its words, with the raw code in the title (hover) and in the
 * page's text for screen readers and copying; text without words is shown as recorded.
 */
export function renderReason(t: Translate, kind: string, reason: string | null): SafeHtml | '' {
  if (!reason) return '';
  const words = reasonWords(t, kind, reason);
  return words === undefined ? html` <span class="meta">${reason}</span>` : html` <span class="meta" title="${reason}">${words} <code>${reason}</code></span>`;
}
