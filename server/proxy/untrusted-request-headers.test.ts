import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalHeaderName } from './identity-headers.js';
import { UNTRUSTED_REQUEST_HEADERS } from './untrusted-request-headers.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/configuration.md', import.meta.url)), 'utf8').toLowerCase();
const names = [...UNTRUSTED_REQUEST_HEADERS];

describe('the lists of headers no client may hand to an application', () => {
  it.each(names)('%s is an exact, canonical header name', (name) => {
    expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(canonicalHeaderName(name)).toBe(name);
  });

  it('names each header once', () => {
    expect(new Set(names).size).toBe(names.length);
  });

  // Proxies in front (nginx, Caddy) are configured from the documented list: it must be whole.
  it.each(names)('docs/configuration.md lists %s', (name) => {
    expect(doc).toContain(`\`${name}\``);
  });
});
