import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { ARTIFACTS_DIR, type AxeViolation } from './page-checks.js';

/**
 * The page checks of page-checks.ts (axe-core's WCAG 2.x A/AA rules and best practices, under the
 * page's real CSP; a picture of the whole page), at a fraction of their cost. Measured on the
 * loaded test machine: evaluating axe's 500 kB source again before every check took 2–6 s a
 * page, a check with axe already in the page 0.1–0.4 s; a full-page capture 1.5–3 s, a capture
 * of the window 0.7–1 s. So axe goes into each document once, its results carry node details for
 * the violations only (what the check reports), and a page that fits the window is captured as
 * the window — the same picture, without the full-page capture's extra layout.
 */

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** axe-core's violations on the page as it is now: the same rules as page-checks.ts's axeViolations. */
export async function axeViolationsOnce(page: Page): Promise<AxeViolation[]> {
  // Through the DevTools protocol (page.evaluate), which the page's CSP does not govern; a new
  // document (after a navigation) has no axe yet and gets it again.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    type Result = { id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> };
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ passes: Result[]; violations: Result[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    // No rule passed at all: axe did not see the page, and "no violations" would mean nothing.
    if (result.passes.length === 0) throw new Error('axe-core checked nothing on this page');
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, TAGS);
}

/** Saves a picture of the whole page at `path`: the window when the page fits in it, else a full-page capture. */
export async function capturePage(page: Page, path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const fits = await page.evaluate(() => {
    const root = document.documentElement;
    return Math.max(root.scrollHeight, document.body?.scrollHeight ?? 0) <= window.innerHeight && root.scrollWidth <= window.innerWidth;
  });
  await page.screenshot({ path, fullPage: !fits });
  return path;
}

/** A picture of the whole page as e2e/artifacts/NAME.png (as page-checks.ts's screenshot). */
export function screenshotPage(page: Page, name: string): Promise<string> {
  return capturePage(page, join(ARTIFACTS_DIR, `${name}.png`));
}

/** No axe-core violation on the page as it is now, then its picture under e2e/artifacts/. */
export async function checkPage(page: Page, name: string) {
  expect(await axeViolationsOnce(page), name).toEqual([]);
  await screenshotPage(page, name);
}
