import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface LaunchedChromium {
  browser: Browser;
  /** Closes the browser and removes its profile, cache and crash-report directories. */
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, driven by playwright-core. Never downloads a browser: the
 * executable is fixed. Config, cache and crash reports go to a temp dir, not $HOME, so a test
 * run leaves nothing behind and runs do not see each other's state.
 */
export async function launchChromium(options: { slowMo?: number } = {}): Promise<LaunchedChromium> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-chromium-'));
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      slowMo: options.slowMo,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache'), XDG_DATA_HOME: join(dir, 'data') },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    browser,
    close: () =>
      (closed ??= (async () => {
        try {
          await browser.close();
        } finally {
          await rm(dir, { recursive: true, force: true, maxRetries: 3 });
        }
      })()),
  };
}
