import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';
import { createMovableClock } from '../../server/core/clock.js';
import { generateTotp } from '../../server/factors/otp/generate-otp.js';
import { type AxeViolation, axeViolations, screenshot } from './page-checks.js';
import { startBrowserStack } from './stack.js';

/**
 * What the admin console's browser tests share: the demo stack on a movable clock, alice (an
 * administrator) with an authenticator app whose next code is a clock move away instead of a
 * wait for the next 30-s step, a browser already signed in as her, and the look at a page (axe,
 * fit, screenshots) at both widths.
 */

export const WIDE = { width: 1280, height: 900 };
export const NARROW = { width: 390, height: 844 };

const TOTP = { period: 30, digits: 6, algorithm: 'SHA1' } as const;

/** The demo stack whose gateway runs on a clock the test can move forward (`clock.advance`). */
export async function startConsoleStack(configure: (config: Record<string, any>) => void = () => undefined) {
  const clock = createMovableClock();
  const stack = await startBrowserStack(configure, { clock });
  return { ...stack, clock };
}

export type ConsoleStack = Awaited<ReturnType<typeof startConsoleStack>>;

/**
 * Gives alice an authenticator app (a confirmed TOTP device with `secret`) and returns her app:
 * each call is the code of a time step the gateway has not seen yet. A TOTP code is accepted
 * once per step, so instead of waiting up to 30 s for the next one, the gateway's clock moves
 * on a step and the code is made for its time.
 */
export async function giveAliceAnApp(stack: ConsoleStack, secret: Buffer, name = 'Alice’s phone'): Promise<() => string> {
  await stack.gateway.ctx.storage.otpDevices.create(
    { username: 'alice', kind: 'totp', name, secret, algorithm: TOTP.algorithm, digits: TOTP.digits, period: TOTP.period, serial: null, confirmed: true },
    stack.clock.now(),
  );
  return () => {
    stack.clock.advance(TOTP.period * 1000);
    return generateTotp(secret, stack.clock.now(), TOTP);
  };
}

/**
 * A browser signed in as alice with a second factor a minute old, as the portal leaves it: the
 * session is made in the gateway and its cookie set, for tests about the console's pages rather
 * than about signing in.
 */
export async function adminContext(stack: ConsoleStack, browser: Browser, options: BrowserContextOptions): Promise<BrowserContext> {
  const { ctx } = stack.gateway;
  const now = stack.clock.now();
  const created = await ctx.sessions.create({ user: ctx.directory.findUser('alice')!, factor: { kind: 'password', at: now }, rememberMe: false });
  const rotated = await ctx.sessions.rotate(created.token, (s) => ({ ...s, factors: [...s.factors, { kind: 'totp', at: now - 60_000 }] }));
  const context = await browser.newContext({ viewport: WIDE, ...options });
  await context.addCookies([{ name: 'gatehouse_session', value: rotated!.token, url: stack.origin }]);
  return context;
}

/**
 * The look at a console page, at 390 and at 1280 px: nothing wider than the window at 390,
 * axe-core at each width (the violations are kept by page, locale and width in `violations` for
 * the file's closing check), and a screenshot of each under e2e/artifacts/ for a person. The page
 * is left at 1280 px, as the tests use it.
 */
export function createLook() {
  const violations: Record<string, AxeViolation[]> = {};
  async function look(page: Page, name: string, locale: string) {
    for (const [label, size] of [
      ['390', NARROW],
      ['1280', WIDE],
    ] as const) {
      await page.setViewportSize(size);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (label === '390') expect(width, `${name} fits 390 px`).toBeLessThanOrEqual(390);
      await screenshot(page, `console-${name}-${locale}-${label}`);
      violations[`${name} (${locale}, ${label})`] = await axeViolations(page);
    }
  }
  return { look, violations };
}
