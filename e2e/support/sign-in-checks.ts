import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { axeViolations, screenshot } from './page-checks.js';

/** No axe-core violation on the page as it is now, then its picture under e2e/artifacts/ (when screenshots are wanted). */
export async function checkPage(page: Page, name: string) {
  expect(await axeViolations(page), name).toEqual([]);
  await screenshot(page, name);
}
