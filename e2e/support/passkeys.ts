import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Registers a passkey named `name` on My sign-in methods (the page is open there, with a virtual
 * authenticator) and waits until the page has moved on to a URL matching `arrival`. If the page
 * shows an alert instead, the failure quotes it.
 *
 * The wait is a ceiling of 60 s, not Playwright's 30-s navigation default: a run's first
 * registration is its slowest step (3.5 s against 0.8 s for the next at load 20), and with two
 * suites on two cores the first registration of a file passed 30 s twice.
 */
export async function registerPasskey(page: Page, name: string, arrival: RegExp): Promise<void> {
  await page.locator('#webauthn-name').fill(name);
  await page.locator('#webauthn-register button[type="submit"]').click();
  // allTextContents does not wait for the alert slot, which the next page may not have.
  const state = async () => (arrival.test(page.url()) ? 'arrived' : (await page.locator('#webauthn-alert').allTextContents()).join(' '));
  await expect.poll(state, { timeout: 60_000 }).toBe('arrived');
  await page.waitForLoadState('load');
}
