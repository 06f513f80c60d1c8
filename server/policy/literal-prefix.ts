/** Characters that stand for themselves in an RE2 pattern, outside a class; ASCII only. */
const LITERAL = /[A-Za-z0-9/_~%=,;:@!&'-]/;
/** What after a literal makes it optional or repeated. */
const QUANTIFIER = /[?*+{]/;

/**
 * The text every path a resource pattern matches must start with; '' when none can be told.
 * Resource patterns are matched on every request (most not matching), and a path that does not
 * even start right (`/reports/…` against `/admin(/.*)?`) is then refused by one startsWith
 * instead of a run of the regex engine. The regex still decides every path that passes.
 *
 * Deliberately simple, so that it is plainly sound: no prefix for a pattern with `|` anywhere
 * (a top-level alternative could start with anything); otherwise the run of plain characters at
 * the start, after an optional `^`, up to the first character with a meaning (`.`, `(`, `[`,
 * `\`, `$`…), less its last character when a quantifier follows it.
 */
export function literalPrefix(pattern: string): string {
  if (pattern.includes('|')) return '';
  const body = pattern.startsWith('^') ? pattern.slice(1) : pattern;
  let end = 0;
  while (end < body.length && LITERAL.test(body[end]!)) end++;
  if (end > 0 && end < body.length && QUANTIFIER.test(body[end]!)) end--;
  return body.slice(0, end);
}
