import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SCREENSHOTS_WANTED } from './page-checks.js';

/** Where the browser tests leave screenshots (outside the repository, overwritten each run) for a person to look at. */
export const SCREENSHOT_DIR = join(tmpdir(), 'gatehouse-e2e-screenshots');

/** Saves the whole page when screenshots are wanted (`npm run screenshots`; see page-checks.ts); its path, or undefined. */
export async function saveScreenshot(page: Page, name: string): Promise<string | undefined> {
  if (!SCREENSHOTS_WANTED) return undefined;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
