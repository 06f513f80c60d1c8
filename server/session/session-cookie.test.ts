import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readSessionToken, serializeClearedSessionCookie, serializeSessionCookie } from './session-cookie.js';

const NAME = 'gatehouse_session';
const TOKEN = randomBytes(32).toString('base64url');
const OTHER = randomBytes(32).toString('base64url');

describe('readSessionToken', () => {
  it.each([
    [`${NAME}=${TOKEN}`],
    [`theme=dark; ${NAME}=${TOKEN}; lang=en`],
    [`theme=dark;${NAME}=${TOKEN};lang=en`],
    [`  ${NAME}=${TOKEN}  `],
    [`${NAME} = ${TOKEN}`],
    [`a=; ${NAME}=${TOKEN}; =x; ;`],
    [`other_${NAME}=${OTHER}; ${NAME}=${TOKEN}; ${NAME}_old=${OTHER}`],
    [[`theme=dark`, `${NAME}=${TOKEN}`]],
  ])('finds the one session cookie in %j', (header) => {
    expect(readSessionToken(header, NAME)).toBe(TOKEN);
  });

  it.each([
    ['absent header', undefined],
    ['empty header', ''],
    ['no session cookie', 'theme=dark; lang=en'],
    ['the same cookie twice (cookie tossing)', `${NAME}=${TOKEN}; ${NAME}=${TOKEN}`],
    ['two different session cookies', `${NAME}=${OTHER}; ${NAME}=${TOKEN}`],
    ['a planted empty one beside ours', `${NAME}=; ${NAME}=${TOKEN}`],
    ['a planted malformed one beside ours', `${NAME}=x; ${NAME}=${TOKEN}`],
    ['duplicates across two header lines', [`${NAME}=${TOKEN}`, `${NAME}=${OTHER}`]],
    ['empty value', `${NAME}=`],
    ['name only', NAME],
    ['"=" only', '='],
    ['"==" only', '=='],
    ['semicolons only', ';;;;'],
    ['quoted value', `${NAME}="${TOKEN}"`],
    ['single-quoted value', `${NAME}='${TOKEN}'`],
    ['one character short', `${NAME}=${TOKEN.slice(1)}`],
    ['one character long', `${NAME}=${TOKEN}A`],
    ['padding', `${NAME}=${TOKEN}=`],
    ['standard base64 characters', `${NAME}=${'+/'.repeat(21)}A`],
    ['percent-encoded', `${NAME}=${encodeURIComponent('%' + TOKEN.slice(1))}`],
    ['percent-encoded letters', `${NAME}=%41${TOKEN.slice(1)}`],
    ['unicode look-alike letters', `${NAME}=${'А'.repeat(43)}`], // Cyrillic А
    ['unicode in the name', `gatehouse_sessiоn=${TOKEN}`], // Cyrillic о
    ['name in another case', `Gatehouse_Session=${TOKEN}`],
    ['name as a prefix', `${NAME}x=${TOKEN}`],
    ['name as a suffix', `x${NAME}=${TOKEN}`],
    ['NUL inside the value', `${NAME}=${TOKEN.slice(0, 20)}\0${TOKEN.slice(21)}`],
    ['a space inside the value', `${NAME}=${TOKEN.slice(0, 20)} ${TOKEN.slice(21)}`],
    ['a comma-joined second cookie', `${NAME}=${TOKEN}, other=1`],
    ['a huge value', `${NAME}=${'A'.repeat(1_000_000)}`],
    ['a huge header', `${'x=y; '.repeat(200_000)}${NAME}=${TOKEN}`],
    ['an array of non-strings', [42, null, {}] as unknown as string[]],
    ['an empty array', []],
  ])('refuses %s', (_label, header) => {
    expect(readSessionToken(header as string | string[] | undefined, NAME)).toBeUndefined();
  });

  it.each([undefined, null, 42, {}, [[]], Symbol('x')])('does not throw on a non-header %#', (header) => {
    expect(readSessionToken(header as unknown as string, NAME)).toBeUndefined();
  });

  it('refuses an empty cookie name', () => {
    expect(readSessionToken(`=${TOKEN}`, '')).toBeUndefined();
  });

  it('never throws and only ever returns a well-formed token, on 2000 random headers', () => {
    const alphabet = `${NAME}=;, "'\\\t\n\0%é😀AZaz09-_+/`;
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(Math.random() * 200);
      let header = '';
      for (let j = 0; j < length; j++) header += alphabet[Math.floor(Math.random() * alphabet.length)];
      if (i % 3 === 0) header += `; ${NAME}=${TOKEN}`;
      const found = readSessionToken(header, NAME);
      if (found !== undefined) expect(found).toBe(TOKEN);
    }
  });
});

describe('serializeSessionCookie', () => {
  it('sets HttpOnly, SameSite=Lax, Path=/ and Secure when asked', () => {
    const cookie = serializeSessionCookie(TOKEN, { name: NAME, secure: true });
    expect(cookie.split('; ').sort()).toEqual([`${NAME}=${TOKEN}`, 'HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure'].sort());
  });

  it('omits Secure only when told (plain-http localhost), and has no Max-Age for a browser-session cookie', () => {
    const cookie = serializeSessionCookie(TOKEN, { name: NAME, secure: false });
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).not.toMatch(/Max-Age|Expires/);
  });

  it('adds the domain and a whole-second Max-Age for remember-me', () => {
    const cookie = serializeSessionCookie(TOKEN, { name: NAME, secure: true, domain: 'example.com', maxAgeSeconds: 2_592_000.7 });
    expect(cookie).toContain('Domain=example.com');
    expect(cookie).toContain('Max-Age=2592000');
  });

  it('round-trips through readSessionToken', () => {
    const cookie = serializeSessionCookie(TOKEN, { name: NAME, secure: true });
    expect(readSessionToken(cookie.split(';')[0], NAME)).toBe(TOKEN);
  });

  it.each(['', 'x', `${TOKEN};Domain=evil.example`, `${TOKEN}\r\nSet-Cookie: a=b`, TOKEN + 'A'])('refuses to set %j as a token', (token) => {
    expect(() => serializeSessionCookie(token, { name: NAME, secure: true })).toThrow();
  });

  it.each(['bad name', 'a;b', 'a=b', ''])('refuses the cookie name %j', (name) => {
    expect(() => serializeSessionCookie(TOKEN, { name, secure: true })).toThrow();
  });
});

describe('serializeClearedSessionCookie', () => {
  it('expires the cookie with the same name, path and domain', () => {
    const cookie = serializeClearedSessionCookie({ name: NAME, secure: true, domain: 'example.com', maxAgeSeconds: 100 });
    expect(cookie).toMatch(new RegExp(`^${NAME}=;`));
    expect(cookie).toContain('Max-Age=0');
    expect(cookie).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain('Domain=example.com');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
  });
});
