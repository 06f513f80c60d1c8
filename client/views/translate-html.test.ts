import { describe, expect, it } from 'vitest';
import { createTranslator } from '../i18n.js';
import { html } from './html.js';
import { translateHtml } from './translate-html.js';

const TIME = html`<time datetime="2026-01-02T09:05:00.000Z">Jan 2</time>`;

describe('translateHtml', () => {
  it.each([
    ['en', 'home.session_started', 'Signed in on <time datetime="2026-01-02T09:05:00.000Z">Jan 2</time>'],
    ['zh-TW', 'home.session_started', '登入時間：<time datetime="2026-01-02T09:05:00.000Z">Jan 2</time>'],
    ['zh-TW', 'otp.last_used', '上次使用：<time datetime="2026-01-02T09:05:00.000Z">Jan 2</time>'],
  ] as const)('%s %s: markup parameters stay markup', (locale, key, expected) => {
    expect(translateHtml(createTranslator(locale), key, { time: TIME }).toString()).toBe(expected);
  });

  it("escapes plain-text parameters, and does not read a parameter's text as a placeholder", () => {
    const out = translateHtml(createTranslator('en'), 'home.factor_at', { factor: '<b>{time}</b>', time: TIME }).toString();
    expect(out).toBe('&lt;b&gt;{time}&lt;/b&gt;, <time datetime="2026-01-02T09:05:00.000Z">Jan 2</time>');
  });

  it('leaves an unknown placeholder as written, and renders false or undefined as nothing', () => {
    expect(translateHtml(createTranslator('en'), 'home.factor_at', { factor: 'Password' }).toString()).toBe('Password, {time}');
    expect(translateHtml(createTranslator('en'), 'home.factor_at', { factor: false, time: undefined }).toString()).toBe(', ');
  });
});
