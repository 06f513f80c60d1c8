import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Accessibility checks with axe-core in the page itself. The portal's CSP (`script-src 'self'`)
 * refuses an injected script, so a context that axe looks into is made with `bypassCSP` — tests
 * about the CSP itself use an ordinary context. Every rule axe runs by default counts (WCAG 2.x
 * A and AA, and its best practices such as one `h1` per page and content inside landmarks).
 */

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Options for a browser context whose pages axe checks. */
export const AXE_CONTEXT: BrowserContextOptions = { bypassCSP: true };

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** The violations axe finds on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SCRIPT });
  return page.evaluate(async () => {
    const results: AxeResults = await (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, {
      resultTypes: ['violations'],
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), summary: n.failureSummary ?? '' })),
    }));
  });
}

/** Fails with a readable list (rule, impact, element, why) when axe finds anything on the page. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const violations = await axeViolations(page);
  const described = violations.flatMap((v) => v.nodes.map((n) => `${label}: ${v.id} (${v.impact}) ${n.target} — ${v.help}; ${n.summary.replace(/\s+/g, ' ')}`));
  expect(described, `axe on ${label} (${page.url()})`).toEqual([]);
}
