import { describe, expect, it } from 'vitest';
import { TEST_ASSETS, testScriptTag } from './testing/test-assets.js';
import { createTranslator, LOCALES, type Locale } from '../i18n.js';
import { renderMethodsPage } from './methods-page.js';
import { renderPushEnrollPage } from './push-enroll-page.js';
import { renderPushWaitPage, type PushProblem, type PushWaitPageModel } from './push-wait-page.js';
import { renderSecondFactorPage, type SecondFactorPageModel } from './second-factor-page.js';

const ctx = (locale: Locale = 'en') => ({ t: createTranslator(locale), locale, basePath: '/auth/', assets: TEST_ASSETS });
const wait = (overrides: Partial<PushWaitPageModel> = {}, locale: Locale = 'en') =>
  renderPushWaitPage({
    ...ctx(locale),
    csrfToken: 'tok',
    redirectTarget: 'https://app.example/x?a=1',
    waiting: { approvalId: 'A'.repeat(22), number: '47', secondsLeft: 30, deviceName: 'Pixel <8>' },
    ...overrides,
  });

describe('push waiting page', () => {
  it('shows the number big, the countdown and the phone, and loads only its script from static/', () => {
    const out = wait();
    expect(out).toContain('<strong id="push-number">47</strong>');
    expect(out).toContain('<span id="push-countdown">30</span>');
    expect(out).toContain('Pixel &lt;8&gt;');
    expect(out).toContain('data-status-url="/auth/second-factor/push/AAAAAAAAAAAAAAAAAAAAAA"');
    expect(out).toContain(testScriptTag('/auth/', 'push-sign-in'));
    expect(out.match(/<script/g)).toHaveLength(1);
    expect(out).not.toMatch(/\son[a-z]+=/i);
  });

  it('has a completion form that works without the script: csrf and rd', () => {
    const form = /<form id="push-complete"[^>]*action="([^"]+)">([\s\S]*?)<\/form>/.exec(wait())!;
    expect(form[1]).toBe('/auth/second-factor/push/AAAAAAAAAAAAAAAAAAAAAA/complete');
    expect(form[2]).toContain('name="csrf" value="tok"');
    expect(form[2]).toContain('name="rd" value="https://app.example/x?a&#61;1"');
  });

  it.each(['rate_limited', 'suspended', 'throttled', 'no_device', 'csrf', 'denied', 'expired', 'unavailable'] as PushProblem[])(
    'problem %s: an alert, no number, no script, a way back',
    (problem) => {
      const out = wait({ waiting: undefined, problem });
      expect(out).toContain('role="alert"');
      expect(out).not.toContain('push-number');
      expect(out).not.toContain('<script');
      expect(out).toContain('href="/auth/second-factor?rd&#61;https%3A%2F%2Fapp.example%2Fx%3Fa%3D1"');
      expect(out).toMatch(/<title>Error: /);
    },
  );

  it('an unknown problem value shows no raw text', () => {
    const out = wait({ waiting: undefined, problem: '<b>x</b>' as PushProblem });
    expect(out).not.toContain('<b>x</b>');
    expect(out).not.toContain('role="alert"');
  });

  it.each(LOCALES)('renders in %s with no missing placeholder', (locale) => {
    expect(wait({}, locale)).not.toMatch(/\{[a-z]+\}/);
  });
});

describe('"Approve on my phone" on the second-factor page', () => {
  const base: SecondFactorPageModel = { ...ctx(), csrfToken: 'tok', devices: [], recoveryCodesAllowed: false, reason: 'sign_in' };
  it('one phone: a button posting it, no select', () => {
    const out = renderSecondFactorPage({ ...base, pushDevices: [{ id: 'p1', name: 'Pixel' }] });
    const form = /<form class="form push-option" method="post" action="\/auth\/second-factor\/push">([\s\S]*?)<\/form>/.exec(out)![1]!;
    expect(form).toContain('name="device" value="p1"');
    expect(form).toContain('Approve on my phone');
    expect(form).not.toContain('<select');
    expect(out).not.toContain('No second factor is set up');
  });
  it('several phones: a select, the last used preselected', () => {
    const out = renderSecondFactorPage({
      ...base,
      selectedDeviceId: 'p2',
      pushDevices: [
        { id: 'p1', name: 'Pixel' },
        { id: 'p2', name: 'iPhone' },
      ],
    });
    expect(out).toContain('<select id="push-device" name="device">');
    expect(out).toContain('<option value="p2" selected>iPhone</option>');
    expect(out).toContain('<option value="p1">Pixel</option>');
  });
  it('no phones: no option', () => {
    expect(renderSecondFactorPage({ ...base, pushDevices: [] })).not.toContain('second-factor/push');
  });
});

describe('phones on My sign-in methods', () => {
  const model = {
    ...ctx(),
    csrfToken: 'tok',
    user: { username: 'alice', displayName: 'Alice' },
    devices: [],
    recoveryCodes: { enabled: false, remaining: 0, total: 0 },
    confirmUrl: '/auth/second-factor',
    totpEnabled: true,
    requiresSecondFactor: true,
    timeZone: 'UTC',
  };
  const phones = [{ id: 'p1', name: 'Pixel', createdAt: Date.UTC(2026, 0, 1), lastUsedAt: null }];
  it('lists phones with remove and offers Add phone when the user may change methods', () => {
    const out = renderMethodsPage({ ...model, canManage: true, push: { enabled: true, phones } });
    expect(out).toContain('<h3 id="phone-0-name">Pixel</h3>');
    expect(out).toContain('action="/auth/methods/push/remove"');
    expect(out).toContain('action="/auth/methods/push/add"');
  });

  it.each([
    ['en', 'Name', 'Rename'],
    ['zh-TW', '名稱', '重新命名'],
  ] as const)('in %s lets each phone be renamed, as apps and passkeys are', (locale, label, button) => {
    const out = renderMethodsPage({
      ...model,
      t: createTranslator(locale),
      locale,
      canManage: true,
      push: { enabled: true, phones: [...phones, { id: 'p2', name: '陳的 iPhone', createdAt: Date.UTC(2026, 0, 2), lastUsedAt: null }] },
    });
    const forms = [...out.matchAll(/<form class="inline-form" method="post" action="\/auth\/methods\/push\/rename">([\s\S]*?)<\/form>/g)].map((m) => m[1]!);
    expect(forms).toHaveLength(2);
    expect(forms[0]).toContain('<input type="hidden" name="csrf" value="tok">\n<input type="hidden" name="device" value="p1">');
    expect(forms[0]).toContain(`<label for="phone-rename-0">${label}</label>`);
    expect(forms[0]).toContain('<input id="phone-rename-0" name="name" type="text" value="Pixel" maxlength="64" autocomplete="off" required>');
    expect(forms[0]).toContain(`<button type="submit" class="button button-secondary" aria-describedby="phone-0-name">${button}</button>`);
    expect(forms[1]).toContain('value="陳的 iPhone"');
    expect(forms[1]).toContain('<input type="hidden" name="device" value="p2">');
  });
  it('read-only without a fresh factor; hidden when push is off', () => {
    const out = renderMethodsPage({ ...model, canManage: false, push: { enabled: true, phones } });
    expect(out).toContain('Pixel');
    expect(out).not.toContain('methods/push/');
    expect(renderMethodsPage({ ...model, canManage: true, push: { enabled: false, phones: [] } })).not.toContain('phones-heading');
  });
});

describe('Add phone page', () => {
  it('shows the QR code and the link as text', () => {
    const out = renderPushEnrollPage({ ...ctx(), link: 'https://auth.example/companion/#enroll=abc', qrDataUri: 'data:image/svg+xml;base64,PHN2Zz4=', minutes: 10 });
    expect(out).toContain('<img src="data:image/svg+xml;base64,PHN2Zz4&#61;"');
    expect(out).toContain('>https://auth.example/companion/#enroll&#61;abc</a>');
    expect(out).toContain('expires in 10 minutes');
  });
});
