import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, LOCALES, type Locale, type MessageKey } from '../i18n.js';
import { renderErrorPage } from './error-page.js';

const render = (status: number, messageKey: MessageKey, locale: Locale = 'en', requestId?: string) =>
  renderErrorPage({ t: createTranslator(locale), locale, basePath: '/', assets: TEST_ASSETS, status, messageKey, requestId });

const MESSAGE_KEYS: MessageKey[] = [
  'error.request_invalid',
  'error.request_too_large',
  'error.csrf',
  'error.auth_required',
  'error.forbidden',
  'error.site_unknown',
  'error.not_found',
  'error.upstream_unavailable',
  'error.upstream_timeout',
  'error.store_unavailable',
  'error.internal',
  'error.too_many_requests',
];

describe('renderErrorPage', () => {
  it.each([
    [400, 'Something is wrong with this request'],
    [401, 'Sign-in required'],
    [403, 'Access denied'],
    [404, 'Page not found'],
    [413, 'Request too large'],
    [429, 'Too many attempts'],
    [500, 'Something went wrong'],
    [502, 'Site unavailable'],
    [503, 'Temporarily unavailable'],
    [504, 'Site not responding'],
    [418, 'Request refused'],
    [599, 'Something went wrong'],
  ])('titles status %i "%s"', (status, title) => {
    const out = render(status, 'error.internal');
    expect(out).toContain(`<h1 id="page-heading">${title}</h1>`);
    expect(out).toContain(`<title>Error: ${title} · Gatehouse</title>`);
    expect(out).toContain(`<p class="eyebrow">Error ${status}</p>`);
  });

  it.each(LOCALES.flatMap((locale) => MESSAGE_KEYS.map((key) => [locale, key] as const)))('in %s renders %s as text, not as its key', (locale, key) => {
    const out = render(404, key, locale);
    const lead = /<p class="lead">([^<]*)<\/p>/.exec(out)?.[1];
    expect(lead).toBe(createTranslator(locale)(key));
    expect(lead).not.toContain(key);
  });

  it('names the site unknown message for a 404 of an unknown site', () => {
    expect(render(404, 'error.site_unknown')).toContain('This address is not a site that Gatehouse protects.');
  });

  it.each([
    [403, 'The request could not be understood.'],
    [503, 'Something went wrong on our side.'],
  ])('replaces an unknown message key at run time (status %i)', (status, text) => {
    const out = render(status, 'db: connection refused' as MessageKey);
    expect(out).toContain(text);
    expect(out).not.toContain('connection refused');
  });

  it.each([
    ['en', 'Quote this reference to your IT desk: req-7f3a'],
    ['zh-TW', '聯絡資訊服務台時，請提供此參考編號：req-7f3a'],
  ] as const)('in %s gives the request id to quote', (locale, text) => {
    expect(render(500, 'error.internal', locale, 'req-7f3a')).toContain(`<p class="reference">${text}</p>`);
  });

  it('leaves the reference out when there is no request id', () => {
    expect(render(500, 'error.internal')).not.toContain('class="reference"');
    expect(render(500, 'error.internal', 'en', '')).not.toContain('class="reference"');
  });

  it('links back to the portal', () => {
    expect(renderErrorPage({ t: createTranslator('en'), locale: 'en', basePath: '/auth/', assets: TEST_ASSETS, status: 404, messageKey: 'error.not_found' })).toContain(
      '<a href="/auth/">Back to Gatehouse</a>',
    );
  });
});
