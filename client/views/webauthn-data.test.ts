import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, LOCALES, type Locale } from '../i18n.js';
import { MESSAGE_CODES } from '../static/webauthn-ceremonies.js';
import { html } from './html.js';
import { renderWebAuthnAlertSlot, renderWebAuthnData, WEBAUTHN_ERROR_CODES, webauthnMessages } from './webauthn-data.js';

const EVIL = `<script>alert("x")</script>"'\`=><img src=x onerror=alert(1)>`;

/** What a browser reads back from an attribute value the `html` tag escaped. */
function decodeAttribute(value: string): string {
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#96;': '`', '&#61;': '=' };
  return value.replace(/&(?:amp|lt|gt|quot|#39|#96|#61);/g, (entity) => entities[entity]!);
}

/** The data-* attributes of the one `[data-webauthn]` element of a rendered page, decoded. */
function webauthnData(out: string): Record<string, string> | undefined {
  const tag = /<[a-z]+ [^>]*data-webauthn="[^>]*>/.exec(out)?.[0];
  if (!tag) return undefined;
  return Object.fromEntries([...tag.matchAll(/\s(data-[a-z-]+)="([^"]*)"/g)].map((m) => [m[1]!, decodeAttribute(m[2]!)]));
}

const render = (locale: Locale, over: { basePath?: string; csrfToken?: string; redirectTarget?: string } = {}) =>
  html`<div${renderWebAuthnData({ t: createTranslator(locale), locale, basePath: '/auth/', assets: TEST_ASSETS, csrfToken: 'tok', ...over }, 'second-factor')} hidden></div>`.toString();

describe('webauthn data for the script', () => {
  it('has a message for exactly the codes the script can show', () => {
    expect([...WEBAUTHN_ERROR_CODES].sort()).toEqual([...MESSAGE_CODES].sort());
  });

  it.each(LOCALES)('in %s gives every code its own, non-empty message', (locale) => {
    const messages = webauthnMessages(createTranslator(locale));
    expect(Object.keys(messages).sort()).toEqual([...WEBAUTHN_ERROR_CODES].sort());
    const texts = Object.values(messages);
    for (const text of texts) expect(text.trim()).not.toBe('');
    expect(new Set(texts).size).toBe(texts.length);
    if (locale === 'zh-TW') for (const text of texts) expect(text).toMatch(/[\u4e00-\u9fff]/);
  });

  it('uses the Taiwan terms for passkey and security key', () => {
    const messages = webauthnMessages(createTranslator('zh-TW'));
    expect(messages.duplicate).toContain('通行密鑰');
    expect(messages.duplicate).toContain('安全金鑰');
  });

  it('names the ceremony, the portal path, the csrf token and rd', () => {
    const data = webauthnData(render('en', { redirectTarget: 'https://wiki.example.com/a?b=1' }));
    expect(data).toMatchObject({
      'data-webauthn': 'second-factor',
      'data-base-path': '/auth/',
      'data-csrf': 'tok',
      'data-rd': 'https://wiki.example.com/a?b=1',
    });
    expect(JSON.parse(data!['data-messages']!)).toEqual(webauthnMessages(createTranslator('en')));
  });

  it('leaves data-rd out when there is no redirect target', () => {
    expect(webauthnData(render('en'))).not.toHaveProperty('data-rd');
  });

  it.each([
    ['rd', { redirectTarget: EVIL }, 'data-rd'],
    ['csrf token', { csrfToken: EVIL }, 'data-csrf'],
    ['base path', { basePath: EVIL }, 'data-base-path'],
  ] as const)('keeps a hostile %s a plain attribute value, read back exactly', (_name, over, attribute) => {
    const out = render('en', over);
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out.match(/</g)).toHaveLength(2);
    expect(webauthnData(out)![attribute]).toBe(EVIL);
  });

  it('renders an empty alert slot: no alert role until the script has something to say', () => {
    expect(renderWebAuthnAlertSlot().toString()).toBe('<div id="webauthn-alert" class="alert-slot"></div>');
  });
});
