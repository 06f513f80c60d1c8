import { describe, expect, it } from 'vitest';
import { browserCommandLine, launchChromium } from './chromium.js';

describe('launchChromium', () => {
  it('turns its own features off in the last --disable-features switch, which keeps every one of Playwright’s', async () => {
    const chromium = await launchChromium();
    try {
      const lists = (await browserCommandLine(chromium.browser))
        .filter((arg) => arg.startsWith('--disable-features='))
        .map((arg) => arg.slice('--disable-features='.length).split(','));
      // Playwright's first, ours last: Chromium reads only the last one.
      expect(lists.length).toBe(2);
      const [playwrights, honoured] = lists as [string[], string[]];
      expect(playwrights.length).toBeGreaterThan(3);
      expect(honoured).toEqual(expect.arrayContaining(playwrights));
      expect(honoured).toContain('SpareRendererForSitePerProcess');
    } finally {
      await chromium.close();
    }
  });
});
