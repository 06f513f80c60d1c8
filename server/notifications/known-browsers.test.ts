import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../core/clock.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import { createKnownBrowsers, isBrowserCookieValue, serializeBrowserCookie } from './known-browsers.js';

function setup(remember = 3) {
  const clock = createFixedClock();
  const kv = createMemoryKv({ clock });
  return { kv, clock, browsers: createKnownBrowsers({ kv, now: clock.now }, { remember, ttlSeconds: 3600 }) };
}

describe('known browsers', () => {
  it('a browser is new once per user; its value is kept, and stored only as a hash', async () => {
    const { kv, browsers } = setup();
    const first = await browsers.recognize('alice', undefined, 'zh-TW');
    expect(first.isNew).toBe(true);
    expect(isBrowserCookieValue(first.cookie)).toBe(true);
    expect(await browsers.recognize('alice', first.cookie, undefined)).toEqual({ cookie: first.cookie, isNew: false });
    expect(await browsers.recognize('ALICE', first.cookie, undefined)).toEqual({ cookie: first.cookie, isNew: false });
    expect((await browsers.recognize('bob', first.cookie, undefined)).isNew).toBe(true);
    const stored = await kv.get('browsers:alice');
    expect(stored).not.toContain(first.cookie);
    expect(await browsers.localeOf('alice')).toBe('zh-TW');
    expect(await browsers.localeOf('bob')).toBeUndefined();
  });

  it('keeps at most `remember` browsers: the least recently used is forgotten first', async () => {
    const { browsers } = setup(3);
    const a = (await browsers.recognize('alice', undefined, undefined)).cookie;
    const b = (await browsers.recognize('alice', undefined, undefined)).cookie;
    const c = (await browsers.recognize('alice', undefined, undefined)).cookie;
    await browsers.recognize('alice', a, undefined); // a is the most recent again
    await browsers.recognize('alice', undefined, undefined); // a fourth: b goes
    expect((await browsers.recognize('alice', a, undefined)).isNew).toBe(false);
    expect((await browsers.recognize('alice', c, undefined)).isNew).toBe(false);
    expect((await browsers.recognize('alice', b, undefined)).isNew).toBe(true);
  });

  it('forgets the list after the time to live', async () => {
    const { browsers, clock } = setup();
    const a = (await browsers.recognize('alice', undefined, 'en')).cookie;
    clock.advance(3601 * 1000);
    expect((await browsers.recognize('alice', a, undefined)).isNew).toBe(true);
  });

  it.each(['', 'short', 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)};`, `${'A'.repeat(42)}\n`, 'é'.repeat(43)])(
    'replaces a malformed cookie value %j',
    async (value) => {
      const { browsers } = setup();
      const seen = await browsers.recognize('alice', value, undefined);
      expect(seen.cookie).not.toBe(value);
      expect(isBrowserCookieValue(seen.cookie)).toBe(true);
    },
  );

  it('a stored record that is not ours reads as no browsers, never as an error', async () => {
    const { kv, browsers } = setup();
    await kv.set('browsers:alice', 'not json', 60);
    expect((await browsers.recognize('alice', undefined, undefined)).isNew).toBe(true);
  });

  it('the cookie: HttpOnly, SameSite=Lax, __Host- and Secure under https', () => {
    expect(serializeBrowserCookie('v', { https: true, maxAgeSeconds: 10 })).toBe('__Host-gatehouse_browser=v; Path=/; Max-Age=10; HttpOnly; SameSite=Lax; Secure');
    expect(serializeBrowserCookie('v', { https: false, maxAgeSeconds: 10 })).toBe('gatehouse_browser=v; Path=/; Max-Age=10; HttpOnly; SameSite=Lax');
  });
});
