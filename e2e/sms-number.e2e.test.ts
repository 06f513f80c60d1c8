import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../server/factors/otp/generate-otp.js';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { codeFromText, startSmsProvider, type SmsProvider } from '../server/testing/sms-provider.js';
import { type SentCodeStack, smsOtpThrough, startSentCodeStack } from './support/sent-code-stack.js';
import { checkPage } from './support/sign-in-checks.js';

/**
 * A user adds their own mobile number for SMS codes in a real browser: signed in with an
 * authenticator app (a fresh second factor), they type the number on "My sign-in methods", get
 * the code from a local server playing Twilio, type it back, and see the number masked. Every
 * page is checked with axe-core and saved (English and Traditional Chinese) under e2e/artifacts/.
 */

const PASSWORD = 'alice-e2e-pass';
const SECRET = Buffer.alloc(20, 7);
let chromium: LaunchedChromium;
let sms: SmsProvider;
let stack: SentCodeStack;
let origin: string;
const stops: Array<() => unknown> = [];

beforeAll(async () => {
  chromium = await launchChromium();
  stops.push(() => chromium.close());
  sms = await startSmsProvider();
  stops.push(() => sms.close());
  const user = (name: string) => ({ displayname: name, email: `${name}@corp.example`, groups: ['dev'] });
  stack = await startSentCodeStack({
    password: PASSWORD,
    users: { nina: user('Nina'), niko: user('Niko') },
    factors: ['totp', 'sms_otp'],
    secondFactors: { sms_otp: smsOtpThrough(sms, { user_numbers: true }) },
  });
  stops.push(() => stack.close());
  origin = stack.origin;
  for (const name of ['nina', 'niko']) {
    await stack.gateway.ctx.storage.otpDevices.create(
      { username: name, kind: 'totp', name: 'Phone', secret: SECRET, algorithm: 'SHA1', digits: 6, period: 30, serial: null, confirmed: true },
      Date.now(),
    );
  }
}, 60_000);

afterAll(async () => {
  for (const stop of stops.splice(0).reverse())
    await Promise.resolve()
      .then(stop)
      .catch(() => undefined);
});

describe.each([
  { locale: 'en-US' as const, tag: 'en', user: 'nina', masked: 'Your number: •••• 678' },
  { locale: 'zh-TW' as const, tag: 'zh-TW', user: 'niko', masked: '您的號碼：•••• 678' },
])('adding a mobile number for SMS codes in Chromium ($tag)', ({ locale, tag, user, masked }) => {
  it('number → texted code → added, shown masked', async () => {
    const context = await chromium.browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(`${origin}/auth/methods`);
    await page.locator('input[name="username"]').fill(user);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/auth\/second-factor/), page.locator('form button[type="submit"]').first().click()]);
    await page
      .locator('input[name="code"]')
      .first()
      .fill(generateTotp(SECRET, Date.now(), { period: 30, digits: 6, algorithm: 'SHA1' }));
    await Promise.all([page.waitForURL(/\/auth\/methods/), page.locator('form:has(input[name="code"]) button[type="submit"]').first().click()]);
    await checkPage(page, `sms-number-methods-${tag}`);
    await Promise.all([page.waitForURL(/\/auth\/methods\/sms\/add/), page.locator('a[href$="methods/sms/add"]').click()]);
    await checkPage(page, `sms-number-add-${tag}`);
    // A premium-rate number first: refused, said so.
    await page.locator('input[name="number"]').fill('+1 900 555 0100');
    await page.locator('form button[type="submit"]').click();
    await page.getByRole('alert').first().waitFor();
    await checkPage(page, `sms-number-refused-${tag}`);
    const arrived = sms.next();
    await page.locator('input[name="number"]').fill('0912 345 678');
    await page.locator('form button[type="submit"]').click();
    const text = new URLSearchParams((await arrived).body);
    expect(text.get('To')).toBe('+886912345678');
    await page.locator('input[name="code"]').waitFor();
    await checkPage(page, `sms-number-code-${tag}`);
    await page.locator('input[name="code"]').fill(codeFromText(text.get('Body') ?? ''));
    await Promise.all([page.waitForURL(/notice=sms_added/), page.locator('form:has(input[name="code"]) button[type="submit"]').click()]);
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain(masked);
    expect(main).not.toMatch(/0912|912 ?345/);
    await checkPage(page, `sms-number-added-${tag}`);
    await context.close();
  }, 60_000);
});
