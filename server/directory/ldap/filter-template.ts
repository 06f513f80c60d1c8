import { FilterParser, OrFilter, type Filter } from 'ldapts';

export type Placeholder = 'username' | 'dn';

/** A search filter from the config with `{username}` / `{dn}` in it, checked once at start-up. */
export interface FilterTemplate {
  readonly text: string;
  readonly placeholders: ReadonlySet<Placeholder>;
}

const PLACEHOLDER = /\{([a-z_]+)\}/g;

/**
 * RFC 4515 §3: in a filter value, `*`, `(`, `)`, `\` and NUL are written as `\2a`, `\28`,
 * `\29`, `\5c` and `\00`. Nothing else needs escaping (UTF-8 may stand as is), and nothing
 * else is changed, so the server compares exactly what was typed and no input can add a
 * wildcard, close the filter or open another term.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Checks a filter template from the config: balanced, parseable with every placeholder filled,
 * naming only the placeholders allowed here, and at least one of `required`.
 */
export function compileFilterTemplate(
  text: string,
  options: { allowed: readonly Placeholder[]; required: readonly Placeholder[] },
): { ok: true; template: FilterTemplate } | { ok: false; error: string } {
  const placeholders = new Set<Placeholder>();
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] as Placeholder;
    if (!options.allowed.includes(name)) return { ok: false, error: `{${match[1]}} is not a placeholder here (use ${options.allowed.map((p) => `{${p}}`).join(' or ')})` };
    placeholders.add(name);
  }
  if (!options.required.some((p) => placeholders.has(p))) {
    return { ok: false, error: `must contain ${options.required.map((p) => `{${p}}`).join(' or ')}` };
  }
  const template: FilterTemplate = { text, placeholders };
  try {
    // A value with every character that needs escaping proves the escaped form parses too.
    fillFilter(template, { username: 'probe*()\\\0é', dn: 'cn=probe\\, x*,dc=example' });
  } catch (error) {
    return { ok: false, error: `is not an LDAP filter (${(error as Error).message.split('.')[0]})` };
  }
  if (!text.startsWith('(') || !text.endsWith(')')) return { ok: false, error: 'must be enclosed in parentheses' };
  // The parser forgives a missing ")" at the end; the template must not need forgiving.
  if (!isOneBalancedFilter(text)) return { ok: false, error: 'is not an LDAP filter (unbalanced parentheses)' };
  return { ok: true, template };
}

/** One top-level "( … )" whose parentheses pair up (values hold none raw: RFC 4515 escapes them). */
function isOneBalancedFilter(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0 && i !== text.length - 1) return false;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/**
 * The template with each placeholder replaced by its escaped value, parsed into the filter sent
 * to the server. A missing value is an error (a bug): it must never turn into a wildcard.
 */
export function fillFilter(template: FilterTemplate, values: Partial<Record<Placeholder, string>>): Filter {
  const text = template.text.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = values[name as Placeholder];
    if (typeof value !== 'string') throw new Error(`no value for {${name}}`);
    return escapeFilterValue(value);
  });
  return FilterParser.parseString(text);
}

/** One filter matching any of `filters`: `(|f1 f2 …)`, or the filter itself when there is one. */
export function anyOf(filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : new OrFilter({ filters });
}
