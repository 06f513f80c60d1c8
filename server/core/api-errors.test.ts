import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVER_ERROR_CODES } from '../../client/static/webauthn-ceremonies.js';
import { API_ERRORS, isApiErrorCode } from './api-errors.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(root, 'docs/api-errors.md'), 'utf8');
const BEGIN = '<!-- catalogue: generated from server/core/api-errors.ts -->';
const END = '<!-- end of catalogue -->';

/** The table docs/api-errors.md must hold, row for row, in the catalogue's order. */
function renderTable(): string {
  const rows = Object.entries(API_ERRORS).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.apis.join(', ')} | ${e.message} |`);
  return ['| code | status | answered by | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Production sources under server/ (no tests, no test scaffolding). */
function sources(dir = join(root, 'server')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testing' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the JSON error catalogue', () => {
  it('is what docs/api-errors.md documents, row for row', () => {
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    expect(doc.slice(start + BEGIN.length, end).trim()).toBe(renderTable());
  });

  it('has a status in 4xx/5xx and a sentence for every code', () => {
    for (const [code, e] of Object.entries(API_ERRORS)) {
      expect([code, e.status >= 400 && e.status < 600]).toEqual([code, true]);
      expect([code, e.message.length > 10, e.apis.length > 0]).toEqual([code, true, true]);
    }
  });

  it('holds every code a JSON route sends by name (a literal passed to sendApiError)', () => {
    const sent = new Map<string, string>();
    for (const file of sources()) {
      for (const m of readFileSync(file, 'utf8').matchAll(/sendApiError\(\s*res\s*,\s*'([^']+)'/g)) sent.set(m[1]!, relative(root, file));
    }
    expect(sent.size).toBeGreaterThan(10);
    expect([...sent].filter(([code]) => !isApiErrorCode(code))).toEqual([]);
  });

  it('holds every code the portal’s WebAuthn script has a message for', () => {
    expect(SERVER_ERROR_CODES.length).toBeGreaterThan(5);
    expect(SERVER_ERROR_CODES.filter((code) => !isApiErrorCode(code))).toEqual([]);
  });

  it('lists no code that nothing can answer with: each one is named somewhere else in the server', () => {
    const text = sources()
      .filter((file) => !file.endsWith(join('core', 'api-errors.ts')))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    expect(Object.keys(API_ERRORS).filter((code) => !text.includes(`'${code}'`))).toEqual([]);
  });

  it('answers nothing for names that are not codes', () => {
    for (const value of ['constructor', '__proto__', 'toString', '', 'MALFORMED', 'malformed ', 42, null, undefined]) expect(isApiErrorCode(value)).toBe(false);
  });
});
