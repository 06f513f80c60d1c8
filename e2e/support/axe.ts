import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

let served: Promise<string> | undefined;

/**
 * The address of axe-core on a loopback server of the test process's own (one per worker; it
 * does not keep the worker alive), with a long cache lifetime. Injected from a file, the half
 * megabyte was inlined into every page and travelled the DevTools pipe each time, and Chromium
 * parsed it afresh: about 300 ms a page on an idle core. From a cached address a context fetches
 * it once and Chromium keeps the compiled script: about 60 ms.
 */
function axeAddress(): Promise<string> {
  served ??= new Promise((resolve, reject) => {
    const source = readFileSync(AXE_SCRIPT);
    const server = createServer((req, res) => {
      if (req.url !== '/axe.min.js') return void res.writeHead(404).end();
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=31536000, immutable',
        // The portal's pages are on another origin (another port).
        'cross-origin-resource-policy': 'cross-origin',
      });
      res.end(source);
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/axe.min.js`);
    });
  });
  return served;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** The violations axe finds on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: await axeAddress() });
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
