import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { renderClockDriftPage } from './clock-drift-page.js';

const render = (driftSeconds: number, continueUrl = 'https://wiki.example.com/', locale: Locale = 'en') =>
  renderClockDriftPage({ t: createTranslator(locale), locale, basePath: '/auth/', assets: TEST_ASSETS, driftSeconds, continueUrl });

describe('renderClockDriftPage', () => {
  it('says the sign-in worked, what is wrong with the phone and what to do', () => {
    const out = render(240);
    expect(out).toContain('<h1 id="page-heading">Signed in — but your phone&#39;s clock is off</h1>');
    expect(out).toContain('<div class="notice" role="status"><p>Your phone&#39;s clock is 4 minutes fast.</p></div>');
    expect(out).toContain('Codes still work for now. Set the phone to automatic time');
    expect(out).not.toContain('<form');
  });

  it.each([
    [240, 'en', 'Your phone&#39;s clock is 4 minutes fast.'],
    [-300, 'en', 'Your phone&#39;s clock is 5 minutes slow.'],
    [185, 'en', 'Your phone&#39;s clock is 3 minutes fast.'],
    [60, 'en', 'Your phone&#39;s clock is 1 minute fast.'],
    [-90, 'en', 'Your phone&#39;s clock is 2 minutes slow.'],
    [3600, 'en', 'Your phone&#39;s clock is 60 minutes fast.'],
    [30, 'en', 'Your phone&#39;s clock is 30 seconds fast.'],
    [-1, 'en', 'Your phone&#39;s clock is 1 second slow.'],
    [0, 'en', 'Your phone&#39;s clock is not set to the right time.'],
    [Number.NaN, 'en', 'Your phone&#39;s clock is not set to the right time.'],
    [Number.POSITIVE_INFINITY, 'en', 'Your phone&#39;s clock is not set to the right time.'],
    [240, 'zh-TW', '您手機的時間快了 4 分鐘。'],
    [-300, 'zh-TW', '您手機的時間慢了 5 分鐘。'],
    [-30, 'zh-TW', '您手機的時間慢了 30 秒。'],
  ] as const)('for %s s in %s says %s', (drift, locale, text) => {
    expect(render(drift, undefined, locale)).toContain(`<p>${text}</p>`);
  });

  it.each([
    ['https://wiki.example.com/a?b=1', 'https://wiki.example.com/a?b&#61;1'],
    ['/auth/', '/auth/'],
    ['/auth/methods?x="><b>', '/auth/methods?x&#61;&quot;&gt;&lt;b&gt;'],
    ['javascript:alert(1)', '/auth/'],
    ['//evil.example/', '/auth/'],
    ['', '/auth/'],
  ])('continues to %j as %j', (continueUrl, href) => {
    expect(render(240, continueUrl)).toContain(`<a class="button button-primary" href="${href}" autofocus>Continue</a>`);
  });

  it('is translated', () => {
    const out = render(-240, undefined, 'zh-TW');
    expect(out).toContain('已登入，但您手機的時間不準確');
    expect(out).toContain('>繼續</a>');
  });
});
