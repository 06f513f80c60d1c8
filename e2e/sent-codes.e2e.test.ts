import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../server/testing/chromium.js';
import { codeFromText, startSmsProvider, type SmsProvider } from '../server/testing/sms-provider.js';
import { codeFromMail, startSmtpSink, type SmtpSink } from '../server/testing/smtp-sink.js';
import { type SentCodeStack, smsOtpThrough, startSentCodeStack } from './support/sent-code-stack.js';
import { axeViolations, screenshot } from './support/page-checks.js';
import { checkPage } from './support/sign-in-checks.js';

/**
 * Email and SMS codes in a real browser: the chooser offers "Email a code to a••••@corp.example"
 * and "Text a code to •••• 678"; the code arrives at a real SMTP server or at a local server
 * playing Twilio, is typed, and the site opens. Every new page is checked with axe-core and saved
 * (English and Traditional Chinese) under e2e/artifacts/.
 */

const PASSWORD = 'alice-e2e-pass';
let chromium: LaunchedChromium;
let smtp: SmtpSink;
let sms: SmsProvider;
let stack: SentCodeStack;
let origin: string;
const stops: Array<() => unknown> = [];

beforeAll(async () => {
  chromium = await launchChromium();
  stops.push(() => chromium.close());
  smtp = await startSmtpSink();
  stops.push(() => smtp.close());
  sms = await startSmsProvider();
  stops.push(() => sms.close());
  stack = await startSentCodeStack({
    password: PASSWORD,
    users: { alice: { displayname: 'Alice Liu', email: 'alice@corp.example', mobile: '0912 345 678', groups: ['dev'] } },
    factors: ['email_otp', 'sms_otp'],
    smtp: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'Gatehouse <gatehouse@corp.example>', timeout: '5s' },
    secondFactors: { email_otp: { enabled: true, resend_cooldown: '60s' }, sms_otp: smsOtpThrough(sms) },
  });
  stops.push(() => stack.close());
  origin = stack.origin;
}, 60_000);

afterAll(async () => {
  for (const stop of stops.splice(0).reverse())
    await Promise.resolve()
      .then(stop)
      .catch(() => undefined);
});

const TARGET = () => `${origin}/menu/today`;

async function signIn(locale: 'en-US' | 'zh-TW'): Promise<Page> {
  const context = await chromium.browser.newContext({ locale });
  const page = await context.newPage();
  await page.goto(TARGET());
  await page.locator('input[name="username"]').fill('alice');
  await page.locator('input[name="password"]').fill(PASSWORD);
  await Promise.all([page.waitForURL(/\/auth\/second-factor/), page.locator('form button[type="submit"]').first().click()]);
  return page;
}

/** Opens "Other ways to sign in" when the method is listed there. */
async function pressSend(page: Page, channel: 'email' | 'sms') {
  const button = page.locator(`#send-${channel}`);
  if (!(await button.isVisible())) await page.locator('details.other-methods summary').click();
  await Promise.all([page.waitForURL(new RegExp(`/auth/second-factor/code/${channel}`)), button.click()]);
}

describe.each([
  { locale: 'en-US' as const, tag: 'en', email: 'Email a code to a••••@corp.example', sms: 'Text a code to •••• 678' },
  { locale: 'zh-TW' as const, tag: 'zh-TW', email: '寄送驗證碼到 a••••@corp.example', sms: '傳送簡訊驗證碼到 •••• 678' },
])('email and SMS codes in Chromium ($tag)', ({ locale, tag, email, sms: smsLabel }) => {
  it('signs in with a code by email', async () => {
    const page = await signIn(locale);
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain(email);
    expect(main).toContain(smsLabel);
    expect(main).not.toContain('alice@corp.example');
    expect(main).not.toMatch(/0912|912 ?345/);
    await checkPage(page, `sent-codes-chooser-${tag}`);
    const arrived = smtp.next('alice@corp.example');
    await pressSend(page, 'email');
    const code = codeFromMail(await arrived);
    await page.reload();
    await checkPage(page, `email-code-${tag}`);
    // A wrong code first: the page says so, with the field marked.
    await page.locator('input[name="code"]').fill(String((Number(code) + 1) % 1_000_000).padStart(6, '0'));
    await page.locator('form:has(input[name="code"]) button[type="submit"]').click();
    await page.getByRole('alert').first().waitFor();
    await checkPage(page, `email-code-wrong-${tag}`);
    await page.locator('input[name="code"]').fill(code);
    await Promise.all([page.waitForURL(TARGET()), page.locator('form:has(input[name="code"]) button[type="submit"]').click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
    await page.context().close();
  }, 60_000);

  it('signs in with a code by SMS', async () => {
    sms.setMode('ok');
    const page = await signIn(locale);
    const arrived = sms.next();
    await pressSend(page, 'sms');
    const request = await arrived;
    const body = new URLSearchParams(request.body);
    expect(body.get('To')).toBe('+886912345678');
    await page.reload();
    await checkPage(page, `sms-code-${tag}`);
    await page.locator('input[name="code"]').fill(codeFromText(body.get('Body') ?? ''));
    await Promise.all([page.waitForURL(TARGET()), page.locator('form:has(input[name="code"]) button[type="submit"]').click()]);
    expect(await page.locator('#remote-user').textContent()).toBe('alice');
    await page.context().close();
  }, 60_000);

  it('says "could not send — use another method" when the provider fails, and when it hangs', async () => {
    for (const mode of ['fail', 'hang'] as const) {
      sms.setMode(mode);
      const page = await signIn(locale);
      // The page script's "how does the delivery stand?" requests are held while the test looks at
      // the "sending…" page, so that page cannot turn into the failure page under the checks.
      const held: Route[] = [];
      await page.route('**/second-factor/code/sms/status', (route) => void held.push(route));
      const arrived = sms.next();
      await pressSend(page, 'sms');
      await arrived;
      // While the provider has not answered, the page says "sending…" and its script asks again
      // until the delivery is known; then it shows the page with the failure, by itself.
      if (mode === 'hang' && (await page.locator('#sent-code-status[data-status-url]').count()) > 0) {
        expect(await page.locator('#sent-code-status').textContent()).toMatch(/Sending a code|正在傳送驗證碼/);
        await screenshot(page, `sms-code-sending-${tag}`);
        expect(await axeViolations(page), 'sending').toEqual([]);
      }
      await page.unroute('**/second-factor/code/sms/status');
      for (const route of held.splice(0)) await route.continue().catch(() => undefined);
      await page.getByRole('alert').first().waitFor({ timeout: 30_000 });
      expect(await page.getByRole('alert').first().textContent()).toMatch(/Could not send|無法傳送/);
      if (mode === 'fail') await checkPage(page, `sms-code-failed-${tag}`);
      sms.release();
      await page.context().close();
    }
    sms.setMode('ok');
  }, 90_000);
});
