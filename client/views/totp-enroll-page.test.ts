import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { otpCodePattern } from './otp-code-field.js';
import { renderTotpEnrollPage, type TotpEnrollPageModel } from './totp-enroll-page.js';

const QR = 'data:image/svg+xml;base64,' + Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>').toString('base64');
const GROUPS = ['JBSW', 'Y3DP', 'EHPK', '3PXP', 'JBSW', 'Y3DP', 'EHPK', '3PXP'];

const render = (overrides: Partial<TotpEnrollPageModel> = {}, locale: Locale = 'en') =>
  renderTotpEnrollPage({
    t: createTranslator(locale),
    locale,
    basePath: '/auth/',
    assets: TEST_ASSETS,
    csrfToken: 'tok',
    deviceId: 'dev-new',
    deviceName: 'Work phone',
    qrDataUri: QR,
    secretGroups: GROUPS,
    issuer: 'Example Corp',
    account: 'ada@example.com',
    digits: 6,
    period: 30,
    algorithm: 'SHA1',
    ...overrides,
  });

const inputTag = (out: string, id: string) => new RegExp(`<input id="${id}"[^>]*>`).exec(out)?.[0] ?? '';
const textOf = (fragment: string) => fragment.replace(/<[^>]*>/g, '');

describe('renderTotpEnrollPage', () => {
  it('walks through three numbered steps: install, scan or type, enter the code', () => {
    const out = render();
    const steps = /<ol class="steps">([\s\S]*?)<\/ol>/.exec(out)?.[1] ?? '';
    expect([...steps.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1])).toEqual(['Install an authenticator app', 'Scan the QR code', 'Enter the code the app shows']);
    expect(out).toContain('You are adding “Work phone”. It takes three steps.');
  });

  it('shows the QR code as an image described for those who cannot see it', () => {
    expect(render()).toContain(
      `<img class="qr" src="${QR.replace(/=/g, '&#61;')}" alt="QR code that adds the account ada@example.com at Example Corp to an authenticator app" width="192" height="192">`,
    );
  });

  it.each([
    'javascript:alert(1)',
    'https://evil.example/qr.svg',
    '/auth/static/favicon.svg',
    'data:text/html;base64,PHNjcmlwdD4=',
    'data:image/svg+xml;utf8,<svg onload=alert(1)>',
    'data:image/svg+xml;base64,PHN2Zz4=" onerror="alert(1)',
    'data:image/svg+xml;base64,',
    '',
  ])('does not show %j as the QR image, leaving the typed key', (qrDataUri) => {
    const out = render({ qrDataUri });
    expect(out).not.toContain('class="qr"');
    expect(out).toContain('<code class="secret" id="totp-secret">');
  });

  it('accepts a PNG QR code too', () => {
    expect(render({ qrDataUri: 'data:image/png;base64,iVBORw0KGgo=' })).toContain('<img class="qr" src="data:image/png;base64,iVBORw0KGgo&#61;"');
  });

  it('gives the key as selectable text in groups, which copies without the gaps', () => {
    const out = render();
    const code = /<code class="secret" id="totp-secret">([\s\S]*?)<\/code>/.exec(out)?.[1] ?? '';
    expect([...code.matchAll(/<span>([^<]*)<\/span>/g)].map((m) => m[1])).toEqual(GROUPS);
    expect(textOf(code)).toBe(GROUPS.join(''));
  });

  it.each([
    [
      'en',
      6,
      30,
      'SHA1',
      [
        '<dt>Account</dt><dd>ada@example.com</dd>',
        '<dt>Issuer</dt><dd>Example Corp</dd>',
        '<dd>Time-based (TOTP)</dd>',
        '<dd>6 digits</dd>',
        '<dd>Every 30 seconds</dd>',
        '<dt>Algorithm</dt><dd>SHA1</dd>',
      ],
    ],
    ['en', 8, 60, 'SHA512', ['<dd>8 digits</dd>', '<dd>Every 60 seconds</dd>', '<dd>SHA512</dd>']],
    ['zh-TW', 6, 60, 'SHA256', ['<dt>帳號</dt><dd>ada@example.com</dd>', '<dd>6 位數</dd>', '<dd>每 60 秒</dd>', '<dd>SHA256</dd>']],
  ] as const)('in %s lists what manual entry needs (%i digits, %i s, %s)', (locale, digits, period, algorithm, parts) => {
    const out = render({ digits, period, algorithm }, locale);
    for (const part of parts) expect(out).toContain(part);
  });

  it('confirms with a POST of device and code to methods/totp/confirm', () => {
    const out = render();
    const form = /<form class="form" method="post" action="\/auth\/methods\/totp\/confirm">([\s\S]*?)<\/form>/.exec(out)?.[1] ?? '';
    expect(form).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(form).toContain('<input type="hidden" name="device" value="dev-new">');
    expect(form).toContain('<label for="code">Verification code</label>');
    expect(form).toContain('The 6-digit code the app shows now.');
    const code = inputTag(out, 'code');
    for (const attribute of ['name="code"', 'inputmode="numeric"', 'autocomplete="one-time-code"', 'maxlength="32"', 'required']) expect(code).toContain(attribute);
    // The app was just given 6 digits: the field takes 6, as the server will.
    expect(code).toContain(`pattern="${otpCodePattern([6]).replace(/=/g, '&#61;')}"`);
    expect(out.match(/<form/g)).toHaveLength(1);
  });

  it('without an error has no alert and does not steal focus from the steps', () => {
    const out = render();
    expect(out).not.toContain('role="alert"');
    expect(inputTag(out, 'code')).not.toContain('autofocus');
  });

  it.each([
    ['invalid_code', 'That code is not right. Check that the phone sets its time automatically, and enter the newest code.'],
    ['malformed', 'That does not look like a code. Enter the digits your device shows.'],
    ['surprise', 'That code is not right. Check that the phone sets its time automatically, and enter the newest code.'],
  ])('shows %s in the alert and marks the code field', (error, text) => {
    const out = render({ error: error as TotpEnrollPageModel['error'] });
    expect(out).toContain(`<div id="form-error" class="alert" role="alert"><p>${text}</p></div>`);
    expect(inputTag(out, 'code')).toContain('aria-describedby="code-hint form-error" aria-invalid="true" autofocus');
    expect(out).toContain('<code class="secret"');
  });

  it('when expired, says to start again and no longer shows the key, the QR code or the form', () => {
    const out = render({ error: 'expired' });
    expect(out).toContain('<p>This setup took too long and has expired. Start again from My sign-in methods.</p>');
    expect(out).toContain('<a class="button button-primary" href="/auth/methods">Start again</a>');
    expect(out).not.toContain('JBSW');
    expect(out).not.toContain('<img class="qr"');
    expect(out).not.toContain('<form');
  });

  it('lets the user cancel back to the methods page', () => {
    expect(render()).toContain('<a href="/auth/methods">Cancel</a>');
  });

  it('is translated', () => {
    const out = render({}, 'zh-TW');
    expect(out).toContain('<h1 id="page-heading">設定驗證器應用程式</h1>');
    expect(out).toContain('<h2>掃描 QR 碼</h2>');
    expect(out).toContain('alt="用來將 Example Corp 的帳號 ada@example.com 加入驗證器應用程式的 QR 碼"');
    expect(out).toContain('<label for="code">驗證碼</label>');
  });
});
