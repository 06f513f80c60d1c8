import { describe, expect, it } from 'vitest';
import { scriptBundles, TEST_ASSETS, testStylesheetTag } from './testing/test-assets.js';
import { createTranslator, LOCALES, type Locale } from '../i18n.js';
import { renderClockDriftPage } from './clock-drift-page.js';
import { renderEnrollmentGatePage } from './enrollment-gate-page.js';
import { renderMethodsPage, type MethodsPageModel } from './methods-page.js';
import { renderRecoveryCodesConfirmPage } from './recovery-codes-confirm-page.js';
import { renderRecoveryCodesPage } from './recovery-codes-page.js';
import { renderSecondFactorPage, type SecondFactorPageModel } from './second-factor-page.js';
import { renderTotpEnrollPage } from './totp-enroll-page.js';

/**
 * Invariants every second-factor page holds, checked on many variants of each page whose every
 * model string is hostile and tagged, so a test can say which field slipped through unescaped.
 */

const evil = (tag: string) => `<script>alert("${tag}")</script>"'\`=><img src=x onerror=alert(1)>`;
const escaped = (tag: string) => `&lt;script&gt;alert(&quot;${tag}&quot;)&lt;/script&gt;&quot;&#39;&#96;&#61;&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;`;
const BASE = '/auth/';
const CSRF = 'csrf-token-abc123';
const AT = Date.UTC(2026, 0, 2, 9, 5);
const QR = 'data:image/svg+xml;base64,' + Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>').toString('base64');

const ALLOWED_TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'link',
  'body',
  'header',
  'main',
  'footer',
  'section',
  'div',
  'p',
  'a',
  'img',
  'span',
  'h1',
  'h2',
  'h3',
  'form',
  'label',
  'input',
  'button',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'fieldset',
  'legend',
  'details',
  'summary',
  'code',
  'script',
  'time',
]);
const BARE_ATTRIBUTES = new Set(['required', 'autofocus', 'checked', 'open', 'hidden']);

/** The page's script tags, by bundle; a tag that is not exactly a bundle's (a module from static/, no inline text) fails the test. */
const scriptNames = (out: string, basePath: string) => scriptBundles(out, basePath, (name, tag) => expect(name, tag).toBeDefined());
/** The form that names a new passkey: the script sends it, so it posts nothing and needs no csrf field. */
const SCRIPT_FORM = /<form id="webauthn-register"[^>]*>[\s\S]*?<\/form>/;

interface Variant {
  name: string;
  out: string;
  /** Tags of the model strings that must be on the page, escaped. */
  shown: string[];
  /** Form actions this variant must have, relative to the base path; every form posts to one of them. */
  actions: string[];
  error: boolean;
  /** Loads static/webauthn.js. */
  script?: boolean;
  /** Other scripts from static/ it loads (static/local-time.js is expected wherever a <time> is). */
  scripts?: string[];
}

function variants(locale: Locale, basePath = BASE): Variant[] {
  const base = { t: createTranslator(locale), locale, basePath, assets: TEST_ASSETS };
  const secondFactor = (over: Partial<SecondFactorPageModel>) =>
    renderSecondFactorPage({ ...base, csrfToken: CSRF, devices: [], recoveryCodesAllowed: false, reason: 'sign_in', timeZone: 'UTC', ...over });
  const methods = (over: Partial<MethodsPageModel>) =>
    renderMethodsPage({
      ...base,
      csrfToken: CSRF,
      user: { username: evil('username'), displayName: evil('displayName') },
      devices: [],
      recoveryCodes: { enabled: true, remaining: 3, total: 10 },
      canManage: true,
      confirmUrl: evil('confirmUrl'),
      totpEnabled: true,
      requiresSecondFactor: true,
      timeZone: 'UTC',
      ...over,
    });
  const device = (n: number) => ({
    id: evil(`id${n}`),
    kind: n % 2 ? ('hotp' as const) : ('totp' as const),
    name: evil(`name${n}`),
    serial: n % 2 ? evil(`serial${n}`) : null,
    createdAt: AT,
    lastUsedAt: n === 0 ? null : AT,
    driftSeconds: n === 0 ? null : 240,
  });
  const credential = (n: number) => ({
    id: evil(`cred${n}`),
    name: evil(`credName${n}`),
    authenticatorName: n === 0 ? evil(`model${n}`) : null,
    discoverable: n === 1 ? null : n === 2,
    backupEligible: n === 1,
    backedUp: n === 1,
    createdAt: AT,
    lastUsedAt: n === 0 ? null : AT,
  });
  return [
    {
      name: 'second factor: several devices, step-up, error',
      out: secondFactor({
        redirectTarget: evil('rd'),
        siteName: evil('site'),
        reason: 'step_up',
        error: 'invalid_code',
        recoveryCodesAllowed: true,
        selectedDeviceId: evil('id1'),
        devices: [0, 1, 2].map((n) => ({ id: evil(`id${n}`), kind: n === 1 ? 'hotp' : 'totp', name: evil(`name${n}`), lastUsedAt: n ? AT : null })),
      }),
      shown: ['rd', 'site', 'id0', 'id1', 'id2', 'name0', 'name1', 'name2'],
      actions: ['second-factor'],
      error: true,
    },
    {
      name: 'second factor: one device, throttled',
      out: secondFactor({
        devices: [{ id: evil('id'), kind: 'hotp', name: evil('name'), lastUsedAt: AT }],
        siteName: evil('site'),
        error: 'throttled',
        redirectTarget: evil('rd'),
      }),
      shown: ['id', 'name', 'site', 'rd'],
      actions: ['second-factor'],
      error: true,
    },
    {
      name: 'second factor: no device, recovery code refused',
      out: secondFactor({ reason: 'stale', recoveryCodesAllowed: true, submittedWith: 'recovery', error: 'invalid_code', setUpUrl: '/auth/enroll?x="><script>alert(1)</script>' }),
      shown: [],
      actions: ['second-factor'],
      error: true,
    },
    { name: 'second factor: no device, nothing else', out: secondFactor({ setUpUrl: evil('setUpUrl') }), shown: [], actions: [], error: false },
    {
      name: 'second factor: security key and devices, error',
      out: secondFactor({
        webauthnAvailable: true,
        redirectTarget: evil('rd'),
        siteName: evil('site'),
        error: 'throttled',
        recoveryCodesAllowed: true,
        devices: [{ id: evil('id'), kind: 'totp', name: evil('name'), lastUsedAt: AT }],
      }),
      shown: ['rd', 'site', 'id', 'name'],
      actions: ['second-factor'],
      error: true,
      script: true,
    },
    {
      name: 'second factor: security key only, step-up',
      out: secondFactor({ webauthnAvailable: true, reason: 'step_up', redirectTarget: evil('rd'), siteName: evil('site') }),
      shown: ['rd', 'site'],
      actions: [],
      error: false,
      script: true,
    },
    {
      name: 'clock drift: fast',
      out: renderClockDriftPage({ ...base, driftSeconds: 245, continueUrl: 'https://wiki.example.com/?q="><script>alert(1)</script>' }),
      shown: [],
      actions: [],
      error: false,
    },
    { name: 'clock drift: hostile url', out: renderClockDriftPage({ ...base, driftSeconds: -600, continueUrl: evil('continueUrl') }), shown: [], actions: [], error: false },
    {
      name: 'methods: manage, several devices',
      out: methods({ devices: [0, 1, 2].map(device), notice: 'added' }),
      shown: ['username', 'displayName', 'id0', 'id1', 'id2', 'name0', 'name1', 'name2', 'serial1'],
      actions: ['methods/rename', 'methods/remove', 'methods/totp/start', 'methods/recovery-codes'],
      error: false,
    },
    {
      name: 'methods: manage, the last device',
      out: methods({ devices: [device(1)], notice: 'removed' }),
      shown: ['username', 'id1', 'name1', 'serial1'],
      actions: ['methods/rename', 'methods/remove', 'methods/totp/start', 'methods/recovery-codes'],
      error: false,
    },
    {
      name: 'methods: read-only',
      out: methods({ devices: [0, 1].map(device), canManage: false, notice: 'needs_fresh_factor', confirmUrl: '/auth/second-factor?rd="><script>' }),
      shown: ['username', 'displayName', 'name0', 'name1', 'serial1'],
      actions: [],
      error: false,
    },
    {
      name: 'methods: nothing yet',
      out: methods({ recoveryCodes: { enabled: true, remaining: 0, total: 0 } }),
      shown: ['username'],
      actions: ['methods/totp/start', 'methods/recovery-codes'],
      error: false,
    },
    {
      name: 'methods: manage, passkeys and devices',
      out: methods({ devices: [0, 1].map(device), webauthn: { enabled: true, credentials: [0, 1, 2].map(credential) }, notice: 'webauthn_added' }),
      shown: ['username', 'displayName', 'id0', 'name1', 'cred0', 'cred1', 'cred2', 'credName0', 'credName1', 'credName2', 'model0'],
      actions: ['methods/rename', 'methods/remove', 'methods/webauthn/rename', 'methods/webauthn/remove', 'methods/totp/start', 'methods/recovery-codes'],
      error: false,
      script: true,
    },
    {
      name: 'methods: manage, only a passkey',
      out: methods({ webauthn: { enabled: true, credentials: [credential(2)] }, totpEnabled: false }),
      shown: ['username', 'cred2', 'credName2'],
      actions: ['methods/webauthn/rename', 'methods/webauthn/remove', 'methods/recovery-codes'],
      error: false,
      script: true,
    },
    {
      name: 'methods: read-only with passkeys',
      out: methods({ canManage: false, notice: 'needs_fresh_factor', webauthn: { enabled: true, credentials: [0, 1].map(credential) } }),
      shown: ['username', 'credName0', 'credName1', 'model0'],
      actions: [],
      error: false,
    },
    {
      name: 'totp enrollment',
      out: renderTotpEnrollPage({
        ...base,
        csrfToken: CSRF,
        deviceId: evil('deviceId'),
        deviceName: evil('deviceName'),
        qrDataUri: QR,
        secretGroups: [evil('g1'), 'ABCD'],
        issuer: evil('issuer'),
        account: evil('account'),
        digits: 6,
        period: 30,
        algorithm: evil('algorithm'),
        error: 'invalid_code',
      }),
      shown: ['deviceId', 'deviceName', 'g1', 'issuer', 'account', 'algorithm'],
      actions: ['methods/totp/confirm'],
      error: true,
    },
    {
      name: 'totp enrollment: hostile QR',
      out: renderTotpEnrollPage({
        ...base,
        csrfToken: CSRF,
        deviceId: 'd',
        deviceName: 'n',
        qrDataUri: evil('qr'),
        secretGroups: ['ABCD'],
        issuer: 'i',
        account: 'a',
        digits: 8,
        period: 60,
        algorithm: 'SHA256',
      }),
      shown: [],
      actions: ['methods/totp/confirm'],
      error: false,
    },
    {
      name: 'totp enrollment: expired',
      out: renderTotpEnrollPage({
        ...base,
        csrfToken: CSRF,
        deviceId: 'd',
        deviceName: 'n',
        qrDataUri: QR,
        secretGroups: ['ABCD'],
        issuer: 'i',
        account: 'a',
        digits: 6,
        period: 30,
        algorithm: 'SHA1',
        error: 'expired',
      }),
      shown: [],
      actions: [],
      error: true,
    },
    {
      name: 'recovery codes',
      out: renderRecoveryCodesPage({ ...base, codes: [evil('code1'), evil('code2')], continueUrl: evil('continueUrl'), username: evil('username') }),
      shown: ['code1', 'code2', 'username'],
      actions: [],
      error: false,
      scripts: ['recovery-codes'],
    },
    {
      name: 'recovery codes: replacing unused ones',
      out: renderRecoveryCodesPage({ ...base, codes: [evil('code1')], continueUrl: evil('continueUrl'), replaced: true }),
      shown: ['code1'],
      actions: [],
      error: false,
      scripts: ['recovery-codes'],
    },
    {
      name: 'recovery codes: asked before replacing',
      out: renderRecoveryCodesConfirmPage({ ...base, csrfToken: CSRF, unused: 7 }),
      shown: [],
      actions: ['methods/recovery-codes'],
      error: false,
    },
    {
      name: 'enrollment gate: both ways, expired',
      out: renderEnrollmentGatePage({
        ...base,
        csrfToken: CSRF,
        emailOption: { enabled: true, maskedAddress: evil('address'), sent: true },
        codeOption: true,
        error: 'expired_or_used',
        redirectTarget: evil('rd'),
      }),
      shown: ['address', 'rd'],
      actions: ['enroll/email', 'enroll/code'],
      error: true,
    },
    {
      name: 'enrollment gate: IT desk code only',
      out: renderEnrollmentGatePage({
        ...base,
        csrfToken: CSRF,
        emailOption: { enabled: false, maskedAddress: evil('address'), sent: false },
        codeOption: true,
        error: 'email_failed',
        redirectTarget: evil('rd'),
      }),
      shown: ['rd'],
      actions: ['enroll/code'],
      error: true,
    },
    {
      name: 'enrollment gate: no way',
      out: renderEnrollmentGatePage({ ...base, csrfToken: CSRF, emailOption: { enabled: true, maskedAddress: null, sent: false }, codeOption: false }),
      shown: [],
      actions: [],
      error: false,
    },
  ];
}

const cases = LOCALES.flatMap((locale) => variants(locale).map((v) => ({ ...v, locale })));

function tags(out: string) {
  return [...out.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)].map((m) => ({ closing: m[1] === '/', name: m[2]!.toLowerCase(), attributes: m[3]! }));
}

function attributeValues(out: string, attribute: string): string[] {
  return [...out.matchAll(new RegExp(`\\s${attribute}="([^"]*)"`, 'g'))].map((m) => m[1]!);
}

describe.each(cases)('$name ($locale)', ({ name, locale, out, shown, actions, error, script, scripts: others }) => {
  it('is a whole document in the right language with one h1', () => {
    expect(out.startsWith('<!doctype html>\n<html')).toBe(true);
    expect(out).toContain(`<html lang="${locale}" dir="ltr">`);
    expect(out).toMatch(/<title>[^<]*Gatehouse<\/title>/);
    expect(out.match(/<h1[\s>]/g)).toHaveLength(1);
    expect(out.trimEnd().endsWith('</html>')).toBe(true);
    if (locale === 'zh-TW') expect(out).toMatch(/<h1[^>]*>[^<]*[\u4e00-\u9fff]/);
  });

  it('has no inline script, no inline style and no event handler: it runs under the strict CSP', () => {
    const times = out.includes('<time datetime="') ? ['local-time'] : [];
    // One bundle per page: its own script and local-time together.
    const parts = [...(script ? ['webauthn'] : []), ...(others ?? []), ...times];
    expect(scriptNames(out, BASE)).toEqual(parts.length > 0 ? [parts.join('+')] : []);
    expect(out).not.toMatch(/<style/i);
    expect(out).not.toMatch(/\sstyle\s*=/i);
    expect(out).not.toMatch(/\son[a-z]+\s*=/i);
    expect(out).not.toMatch(/javascript:/i);
  });

  it('shows every hostile model value only escaped', () => {
    for (const tag of shown) expect(out, tag).toContain(escaped(tag));
    expect(out).not.toContain('<img src=x');
    expect(out).not.toContain('alert("');
  });

  it('links only to its own origin or checked web URLs, and shows images only from static/ or as data: images', () => {
    for (const href of attributeValues(out, 'href')) expect(href, href).toMatch(/^(\/|#main$|https:\/\/)/);
    for (const href of attributeValues(out, 'href')) expect(href).not.toMatch(/^\/\//);
    for (const img of tags(out).filter((t) => t.name === 'img')) {
      expect(img.attributes).toMatch(new RegExp(`src="(${BASE}static/|data:image/svg\\+xml;base64,)`));
      expect(img.attributes).toMatch(/\salt="/);
    }
  });

  it('is built only from known tags with quoted attribute values', () => {
    for (const tag of tags(out)) {
      expect(ALLOWED_TAGS, tag.name).toContain(tag.name);
      const bare = tag.attributes
        .replace(/\s[a-z-]+="[^"]*"/g, '')
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      for (const attribute of bare) expect(BARE_ATTRIBUTES, `${tag.name} ${attribute}`).toContain(attribute);
    }
  });

  it('protects every form with one csrf token and posts it to its route under the base path', () => {
    const page = out.replace(SCRIPT_FORM, '');
    const forms = [...page.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)];
    expect(forms.length).toBe(tags(page).filter((t) => t.name === 'form' && !t.closing).length);
    for (const [, attributes, content] of forms) {
      expect(attributes).toContain('method="post"');
      expect(content!.split(`<input type="hidden" name="csrf" value="${CSRF}">`)).toHaveLength(2);
    }
    const used = new Set(forms.map(([, attributes]) => /action="([^"]*)"/.exec(attributes!)?.[1]));
    expect([...used].sort()).toEqual(actions.map((a) => BASE + a).sort());
  });

  it('keeps the form that only the script submits inside its hidden block, posting nothing', () => {
    const form = SCRIPT_FORM.exec(out)?.[0];
    if (!form) return;
    expect(form).not.toMatch(/<form[^>]*\s(method|action)=/);
    expect(form).not.toContain('name="csrf"');
    expect(out).toMatch(
      /<div class="webauthn" data-webauthn="register"[^>]* hidden>\n<h3[^>]*>[^<]*<\/h3>\n<div id="webauthn-alert" class="alert-slot"><\/div>\n<form id="webauthn-register"/,
    );
  });

  it('renders every WebAuthn block hidden, for the script to show', () => {
    const blocks = tags(out).filter((t) => t.attributes.includes('data-webauthn='));
    expect(blocks.length).toBe(script ? 1 : 0);
    for (const block of blocks) expect(block.attributes).toMatch(/\shidden$/);
  });

  it('has unique ids, and every label and aria reference points at one', () => {
    const ids = attributeValues(out, 'id');
    expect(new Set(ids).size).toBe(ids.length);
    const references = [
      ...attributeValues(out, 'for'),
      ...attributeValues(out, 'aria-describedby').flatMap((v) => v.split(' ')),
      ...attributeValues(out, 'aria-labelledby').flatMap((v) => v.split(' ')),
    ];
    for (const reference of references) expect(ids).toContain(reference);
    const labelled = new Set(attributeValues(out, 'for'));
    for (const input of tags(out).filter((t) => t.name === 'input' && !t.attributes.includes('type="hidden"'))) {
      expect(labelled).toContain(/\sid="([^"]*)"/.exec(input.attributes)?.[1]);
    }
  });

  it('puts an error in an alert region that the invalid field points at', () => {
    expect(out.includes('role="alert"')).toBe(error || name.includes('read-only'));
    for (const input of tags(out).filter((t) => t.attributes.includes('aria-invalid="true"'))) {
      expect(input.attributes).toMatch(/aria-describedby="[^"]*\bform-error\b/);
    }
    if (error) expect(out).toMatch(/<title>(Error: |錯誤：)/);
  });

  it('names every button, link and radio group', () => {
    expect(out).not.toMatch(/<button[^>]*>\s*<\/button>/);
    expect(out).not.toMatch(/<a [^>]*>\s*<\/a>/);
    expect(out).not.toMatch(/<summary[^>]*>\s*<\/summary>/);
    expect(out.match(/<fieldset[\s>]/g)?.length ?? 0).toBe(out.match(/<legend>[^<]+<\/legend>/g)?.length ?? 0);
  });
});

describe('a hostile base path', () => {
  it.each(variants('en', evil('base')).map((v) => [v.name, v.out] as const))('is escaped on %s', (_name, out) => {
    expect(out).toContain(testStylesheetTag(escaped('base'), 'portal'));
    expect(scriptNames(out, escaped('base')).length).toBe((out.match(/<script/gi) ?? []).length);
    expect(out).not.toContain('<img src=x');
  });
});
