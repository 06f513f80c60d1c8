import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../server/core/errors.js';
import { createTranslator, isLocale, isMessageKey, LOCALES, negotiateLocale, type MessageKey } from './i18n.js';

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['en', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['en-GB', 'en'],
    ['zh-TW', 'zh-TW'],
    ['zh-tw', 'zh-TW'],
    ['ZH-tw', 'zh-TW'],
    ['zh-Hant', 'zh-TW'],
    ['zh-Hant-TW', 'zh-TW'],
    ['zh-HK', 'zh-TW'],
    ['zh-MO', 'zh-TW'],
    ['zh', 'zh-TW'],
    ['zh-CN', 'zh-TW'],
    ['zh-Hans-CN', 'zh-TW'],
    ['zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7', 'zh-TW'],
    ['fr', 'en'],
    ['ja,ko;q=0.9', 'en'],
    ['fr-FR,fr;q=0.9,zh-TW;q=0.8,en;q=0.7', 'zh-TW'],
    ['fr, zh;q=0.1', 'zh-TW'],
    ['en;q=0.5,zh-TW;q=0.9', 'zh-TW'],
    ['zh-TW;q=0.5,en;q=0.9', 'en'],
    ['en;q=0.8, zh-TW;q=0.8', 'en'],
    ['zh-TW;q=0.8, en;q=0.8', 'zh-TW'],
    ['en;q=0.000, zh-TW;q=1.000', 'zh-TW'],
    ['zh-TW;q=0', 'en'],
    ['zh-TW;q=0, en;q=0.1', 'en'],
    ['en;q=0, zh', 'zh-TW'],
    ['*', 'en'],
    ['fr, *;q=0.5', 'en'],
    ['en;q=0, *', 'zh-TW'],
    ['zh;q=0, *', 'en'],
    ['en;q=0, zh-TW;q=0, *', 'en'],
    ['  zh-TW  ;  q=0.9  ', 'zh-TW'],
    ['zh-TW;Q=0.9', 'zh-TW'],
    ['zh-TW,', 'zh-TW'],
    [',zh-TW', 'zh-TW'],
    ['fr;q=1, zh-TW;q=abc, zh;q=0.3', 'zh-TW'],
  ] as const)('%j → %s', (header, expected) => {
    expect(negotiateLocale(header)).toBe(expected);
  });

  it.each([
    ';;;',
    ',,,',
    '   ',
    'zh-TW;q=2',
    'zh-TW;q=-1',
    'zh-TW;q=1.001',
    'zh-TW;q=0.1234',
    'zh-TW;q=abc',
    'zh-TW;q=',
    'zh-TW;q',
    'zh-TW;level=1',
    'zh-TW;q=0.5;q=0.9',
    'zh_TW',
    'zh-',
    '-zh',
    'zh--TW',
    'zhongwen1',
    'zh-TW\u0000',
    '\u4e2d\u6587',
    'ｚｈ-TW',
    '<script>alert(1)</script>',
    'zh-TW"><img src=x>',
    'zh-averyveryverylongsubtag',
    'x'.repeat(5000),
    'zh-TW,' + 'en,'.repeat(2000),
  ])('malformed %j → en', (header) => {
    expect(negotiateLocale(header)).toBe('en');
  });

  it('reads at most 32 entries, so a flood of ranges costs nothing', () => {
    expect(negotiateLocale('fr,'.repeat(31) + 'zh-TW')).toBe('zh-TW');
    expect(negotiateLocale('fr,'.repeat(32) + 'zh-TW')).toBe('en');
  });

  it('never throws and always answers a supported locale for arbitrary input', () => {
    const alphabet = 'zhTWen-;q=0.19,* \t_"<>\u0000\u4e2d\ud800';
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 3000; i++) {
      const length = next() % 40;
      let header = '';
      for (let j = 0; j < length; j++) header += alphabet[next() % alphabet.length];
      expect(LOCALES).toContain(negotiateLocale(header));
    }
  });

  it('tolerates a non-string at run time (a header parser may hand over an array)', () => {
    expect(negotiateLocale(['zh-TW'] as unknown as string)).toBe('en');
  });
});

describe('createTranslator', () => {
  const en = createTranslator('en');
  const zh = createTranslator('zh-TW');

  it('looks a key up in the locale catalogue', () => {
    expect(en('signin.title')).toBe('Sign in');
    expect(zh('signin.title')).toBe('登入');
  });

  it('fills {name} placeholders, numbers included', () => {
    expect(en('home.greeting', { name: 'Ada' })).toBe('Hello, Ada');
    expect(zh('home.greeting', { name: 'Ada' })).toBe('Ada，您好');
    expect(en('error.status', { status: 404 })).toBe('Error 404');
  });

  it('does not expand placeholders found inside a parameter value', () => {
    expect(en('home.factor_at', { factor: '{time}', time: 'noon' })).toBe('{time}, noon');
    expect(en('home.greeting', { name: '{name}' })).toBe('Hello, {name}');
  });

  it('leaves a placeholder without a parameter as written, and ignores inherited properties', () => {
    expect(en('home.greeting')).toBe('Hello, {name}');
    expect(en('home.greeting', {})).toBe('Hello, {name}');
    expect(en('home.greeting', Object.create({ name: 'inherited' }) as Record<string, string>)).toBe('Hello, {name}');
  });

  it('does not escape: views do that', () => {
    expect(en('home.greeting', { name: '<b>' })).toBe('Hello, <b>');
  });

  it.each(['no.such.key', '__proto__', 'constructor', 'toString'])('answers an unknown key %j with the key itself', (key) => {
    expect(en(key as MessageKey)).toBe(key);
    expect(zh(key as MessageKey)).toBe(key);
  });
});

describe('isMessageKey and isLocale', () => {
  it.each([
    ['error.internal', true],
    ['signin.title', true],
    ['error.nope', false],
    ['__proto__', false],
    ['toString', false],
    ['', false],
    [42, false],
  ])('isMessageKey(%j) → %s', (value, expected) => expect(isMessageKey(value)).toBe(expected));

  it.each([
    ['en', true],
    ['zh-TW', true],
    ['zh-tw', false],
    ['fr', false],
    [undefined, false],
  ])('isLocale(%j) → %s', (value, expected) => expect(isLocale(value)).toBe(expected));

  it.each(Object.entries(errorCatalogue))('the server error %s has a message in the catalogue', (_code, entry) => {
    expect(isMessageKey(entry.message)).toBe(true);
  });
});

describe('catalogues', () => {
  const dir = new URL('./locales/', import.meta.url);
  const load = (file: string) => JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Record<string, unknown>;
  const en = load('en.json');
  const others = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'en.json');
  const placeholders = (text: string) => [...new Set([...text.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();

  it('has one file per supported locale', () => {
    expect(['en.json', ...others].sort()).toEqual(LOCALES.map((l) => `${l}.json`).sort());
  });

  it.each(['en.json', ...others])('%s holds only non-empty strings with well-formed placeholders', (file) => {
    for (const [key, value] of Object.entries(load(file))) {
      expect(typeof value, key).toBe('string');
      expect((value as string).trim(), key).not.toBe('');
      // Braces outside a {name} placeholder are a typo that would print as is.
      expect((value as string).replace(/\{[A-Za-z0-9_]+\}/g, ''), key).not.toMatch(/[{}]/);
    }
  });

  it.each(others)('%s has exactly the keys of en.json', (file) => {
    expect(Object.keys(load(file)).sort()).toEqual(Object.keys(en).sort());
  });

  it.each(others)('%s uses the same {params} as en.json in every message', (file) => {
    const other = load(file);
    for (const key of Object.keys(en)) {
      expect(placeholders(String(other[key])), key).toEqual(placeholders(String(en[key])));
    }
  });

  it('zh-TW is translated: every message with words beyond placeholders and the product name has Chinese text', () => {
    const zh = load('zh-TW.json');
    const words = (text: string) => text.replace(/\{[A-Za-z0-9_]+\}|Gatehouse|[\s\p{P}]/gu, '');
    const untranslated = Object.entries(zh).filter(([, value]) => words(String(value)) !== '' && !/[\u4e00-\u9fff]/.test(String(value)));
    expect(untranslated).toEqual([]);
  });

  it('zh-TW uses Traditional characters, not Simplified ones', () => {
    const text = Object.values(load('zh-TW.json')).join('');
    // Simplified forms of characters these messages use: 录 登录, 码 密码, 帐/账 帳號, 设 設定, 请 請, 网 網, 错 錯, 务 服務.
    expect(text).not.toMatch(/[录码帐账设请网错务]/);
  });
});
