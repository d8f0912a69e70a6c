import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core: no browser download (CHROMIUM_PATH overrides the
 * path). The flags keep a headless Chromium from reaching for the network at start.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`The console tests need Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH).`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Screenshots of the console's views: into gateway/console/screenshots (shown in docs/console.md) when
 * CONSOLE_SCREENSHOTS=1 (`npm run console:screenshots`), otherwise into DATA_DIR, so an ordinary test
 * run never changes tracked files.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env.CONSOLE_SCREENSHOTS === '1' ? 'gateway/console/screenshots' : path.join(process.env.DATA_DIR ?? '.data', 'screenshots');
  await mkdir(folder, { recursive: true });
  // Drawers and menus slide in: take the picture once every CSS transition has settled.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
  await page.screenshot({ path: path.join(folder, `${name}.png`), fullPage: false });
}
