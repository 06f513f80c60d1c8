import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Screenshots of the pages, for a person to look at (git ignores the folder; each run overwrites). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Screenshots assert nothing: they are for a person to look at after changing a page.
 * `npm run screenshots` runs the browser tests with GATEHOUSE_E2E_SCREENSHOTS=1 and saves every
 * page; `npm test` (and CI) skips them — a full-page capture was about a third of each page
 * check's time (0.4–2.2 s on a busy machine), on machines where nobody opens the files.
 */
export const SCREENSHOTS_WANTED = process.env.GATEHOUSE_E2E_SCREENSHOTS === '1';

/**
 * Saves a picture of the whole page at `path` when screenshots are wanted: the window when the
 * page fits in it (the same picture without the full-page capture's extra layout pass, 0.7–1 s
 * against 1.5–3 s on a busy machine), else a full-page capture. The path, or undefined.
 */
export async function capturePage(page: Page, path: string): Promise<string | undefined> {
  if (!SCREENSHOTS_WANTED) return undefined;
  await mkdir(dirname(path), { recursive: true });
  const fits = await page.evaluate(() => {
    const root = document.documentElement;
    return Math.max(root.scrollHeight, document.body?.scrollHeight ?? 0) <= window.innerHeight && root.scrollWidth <= window.innerWidth;
  });
  await page.screenshot({ path, fullPage: !fits });
  return path;
}

/** A picture of the whole page as e2e/artifacts/NAME.png, when screenshots are wanted. */
export function screenshot(page: Page, name: string): Promise<string | undefined> {
  return capturePage(page, join(ARTIFACTS_DIR, `${name}.png`));
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's WCAG 2.x A/AA rules on the page as it is now. The source goes in through the
 * DevTools protocol (page.evaluate), which the page's CSP does not govern, so the page keeps its
 * real CSP (a bypassCSP context with addScriptTag works too, but then the page is not the one
 * users get).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Once per document: evaluating the half megabyte costs about as much as a run on a busy machine,
  // and a page is often checked twice (at two widths).
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{ passes: unknown[]; violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }>;
        };
      }
    ).axe;
    // Every rule still runs; `resultTypes` only spares axe from collecting every passing and
    // incomplete node (it keeps one per rule), which is most of a run's time on a large page.
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    // No rule passed at all: axe did not see the page, and "no violations" would mean nothing.
    if (result.passes.length === 0) throw new Error('axe-core checked nothing on this page');
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** Every Content-Security-Policy violation the page reports from now on (a page script or style the CSP refused). */
export function watchCspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) seen.push(message.text());
  });
  return seen;
}
