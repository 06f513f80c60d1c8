import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { capturePage } from './page-checks.js';

/** Where the browser tests leave screenshots (outside the repository, overwritten each run) for a person to look at. */
export const SCREENSHOT_DIR = join(tmpdir(), 'gatehouse-e2e-screenshots');

/** Saves the whole page when screenshots are wanted (`npm run screenshots`; see page-checks.ts); its path, or undefined. */
export function saveScreenshot(page: Page, name: string): Promise<string | undefined> {
  return capturePage(page, join(SCREENSHOT_DIR, `${name}.png`));
}
