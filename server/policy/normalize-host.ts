import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedHost {
  /** Lower-case; IPv6 in brackets, as `URL#hostname` writes it; a trailing dot is kept. */
  hostname: string;
  port?: number;
}

/** 253 for the name, a trailing dot, ":" and five digits, with room for brackets. */
const MAX_HOST_LENGTH = 264;

/**
 * Parses a Host (or X-Forwarded-Host) value strictly; anything odd is undefined, never guessed.
 *
 * A trailing dot is kept: `wiki.corp.example.` is a different origin to the browser (our
 * cookie is not sent to it, a redirect back would go to a host we do not serve), so it is a
 * different host to us too. It matches no rule and no site, so the default policy and the
 * unknown-site answer decide, the same as for any other host nobody configured. Stripping it
 * here and not in every other place that compares hosts is how confusion bugs start.
 */
export function parseHostHeader(value: string | undefined): ParsedHost | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_HOST_LENGTH) return undefined;
  // Checked before lower-casing: toLowerCase maps some non-ASCII letters (U+212A KELVIN) to ASCII.
  for (let i = 0; i < value.length; i++) {
    if (!isHostChar(value.charCodeAt(i))) return undefined;
  }
  const lower = value.toLowerCase();

  let hostname: string;
  let rest: string;
  if (lower.charCodeAt(0) === 0x5b) {
    const close = lower.indexOf(']');
    if (close === -1) return undefined;
    const inner = lower.slice(1, close);
    if (!isIPv6(inner)) return undefined;
    // The URL parser's spelling ("[::1]" for "[0:0::1]") is the one sites are configured with.
    hostname = new URL(`http://[${inner}]/`).hostname;
    rest = lower.slice(close + 1);
  } else {
    const colon = lower.indexOf(':');
    hostname = colon === -1 ? lower : lower.slice(0, colon);
    rest = colon === -1 ? '' : lower.slice(colon);
    if (!isHostName(hostname)) return undefined;
  }

  if (rest === '') return { hostname };
  if (!/^:\d{1,5}$/.test(rest)) return undefined;
  const port = Number(rest.slice(1));
  if (port < 1 || port > 65535) return undefined;
  return { hostname, port };
}

/**
 * `pattern` is an exact host or `*.suffix`, which matches hosts with at least one more label
 * (`a.corp.example`, `a.b.corp.example`) but not `corp.example` itself. Both sides lower-case.
 */
export function matchesDomain(hostname: string, pattern: string): boolean {
  if (!pattern.startsWith('*.')) return hostname === pattern;
  return matchesSuffix(hostname, pattern.slice(1));
}

/** `suffix` starts with ".": ".corp.example". The label before it must not be empty. */
export function matchesSuffix(hostname: string, suffix: string): boolean {
  const before = hostname.length - suffix.length - 1;
  return before >= 0 && hostname.endsWith(suffix) && hostname.charCodeAt(before) !== 0x2e;
}

function isHostChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x3a || c === 0x5b || c === 0x5d;
}

/** Labels of 1-63 letters, digits, "-" or "_", separated by single dots, at most 253 in all. */
function isHostName(name: string): boolean {
  const end = name.endsWith('.') ? name.length - 1 : name.length;
  if (end === 0 || end > 253) return false;
  let labelStart = 0;
  for (let i = 0; i <= end; i++) {
    const c = i === end ? 0x2e : name.charCodeAt(i);
    if (c === 0x2e) {
      if (i === labelStart || i - labelStart > 63) return false;
      if (i < end) labelStart = i + 1;
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f)) {
      return false;
    }
  }
  // WHATWG reads a host ending in a number as IPv4 ("0x7f.1" is 127.0.0.1); only the plain
  // dotted-quad spelling is accepted, so one address has one spelling.
  const first = name.charCodeAt(labelStart);
  if (first < 0x30 || first > 0x39) return true;
  const lastLabel = name.slice(labelStart, end);
  if (!/^(\d+|0x[0-9a-f]*)$/.test(lastLabel)) return true;
  return isIPv4(name.slice(0, end));
}
