/**
 * A URL handed to a view for an href, or undefined when it is not one we should link to.
 * The server builds these (continue, confirm and set-up links) from checked values; this keeps
 * a `javascript:` or protocol-relative (`//evil.example`) value out of an href regardless.
 * Accepted: a path on this origin ("/auth/methods") or an absolute http(s) URL.
 */
export function toSafeHref(value: string | undefined): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (value.startsWith('/')) {
    // "//host" and "/\host" leave the origin; controls and whitespace are read differently by browsers.
    if (/^\/[/\\]/.test(value) || /[\u0000-\u0020\u007f\\]/.test(value)) return undefined;
    return value;
  }
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
