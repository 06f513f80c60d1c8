/**
 * A tagged template that escapes every interpolated value, so markup can only come from the
 * template's own literal text or from `raw()`. Attribute values must be quoted in templates;
 * the escaping covers both quote kinds, backticks and `=` so an unquoted slip still cannot
 * start a new attribute.
 */

class SafeHtml {
  readonly #html: string;
  constructor(html: string) {
    this.#html = html;
  }
  toString(): string {
    return this.#html;
  }
}
export type { SafeHtml };

/** What a template accepts: `false`, null and undefined render nothing, so `${cond && html`…`}` works. */
export type HtmlValue = SafeHtml | string | number | false | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
};
const SPECIAL = /[&<>"'`=]/g;

export function escapeHtml(text: string): string {
  return text.replace(SPECIAL, (char) => ENTITIES[char]!);
}

/** Marks a fragment as already safe. Only for markup built here, never for anything a user sent. */
export function raw(fragment: string): SafeHtml {
  return new SafeHtml(fragment);
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === false || value === null || value === undefined) return '';
  return escapeHtml(String(value));
}
