import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';

describe('launchChromium', () => {
  it('turns its own features off in the last --disable-features switch, which keeps every one of Playwright’s', async () => {
    const chromium = await launchChromium();
    try {
      const session = await chromium.browser.newBrowserCDPSession();
      const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
      const pid = processInfo.find((p) => p.type === 'browser')!.id;
      const lists = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
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
