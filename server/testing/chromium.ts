import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Features turned off on top of Playwright's own list. Chromium keeps a spare renderer process
 * started for the next navigation; a test run opens a fresh context for nearly every page, and
 * about a third of the renderers started were spares (push approval file: 56 renderers, 38
 * without; Chromium's CPU time 11 % lower).
 */
const MORE_DISABLED_FEATURES = ['SpareRendererForSitePerProcess'];

let disabledFeatures: Promise<string> | undefined;

/**
 * Chromium honours only the last `--disable-features` switch, and Playwright passes its own list
 * (features that break automation) without exporting it: a second switch would silently turn
 * those back on. So the list is read back once per process from a browser Playwright started, on
 * the browser process's command line (Linux: /proc), and ours is added to it.
 */
function disabledFeaturesSwitch(env: NodeJS.ProcessEnv): Promise<string> {
  disabledFeatures ??= (async () => {
    const probe = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS, env });
    try {
      const theirs = (await browserCommandLine(probe))
        .filter((a) => a.startsWith('--disable-features='))
        .at(-1)
        ?.slice('--disable-features='.length);
      if (!theirs) throw new Error('Playwright no longer passes --disable-features: read how it launches Chromium before adding ours');
      return `--disable-features=${[...theirs.split(','), ...MORE_DISABLED_FEATURES].join(',')}`;
    } finally {
      await probe.close();
    }
  })().catch((error: unknown) => {
    disabledFeatures = undefined; // the next launch tries again
    throw error;
  });
  return disabledFeatures;
}

/** The browser process's command line, as Chromium was really started (Linux: /proc). */
export async function browserCommandLine(browser: Browser): Promise<string[]> {
  const session = await browser.newBrowserCDPSession();
  const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  const pid = processInfo.find((p) => p.type === 'browser')?.id;
  if (pid === undefined) throw new Error('Chromium did not report its browser process');
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
}

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
    const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache'), XDG_DATA_HOME: join(dir, 'data') };
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      slowMo: options.slowMo,
      args: [...ARGS, await disabledFeaturesSwitch(env)],
      env,
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
