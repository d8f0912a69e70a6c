import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsage } from '../support/fixtures.js';
import { launchBrowser, screenshot } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

// The console's Meters view in headless Chromium against the real stack: the browser in Kolkata
// (UTC+05:30 all year), so its default time zone is not UTC and a local day starts at 18:30Z.
let stack: Stack;
let browser: Browser;
let origin: string;
const zone = 'Asia/Kolkata';
const offset = (5 * 60 + 30) * 60_000;
const day = 86_400_000;

beforeAll(async () => {
  if (!existsSync('gateway/console/dist/index.html')) throw new Error('The console is not built: npm run console:build (npm ci does it).');
  stack = await startStack('console-meters');
  browser = await launchBrowser();
  origin = new URL(stack.gatewayUrl).origin;
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function openMeters(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: zone });
  await page.addInitScript((t) => sessionStorage.setItem('usage-console-token', t), stack.token);
  await page.goto(`${origin}/console/#meters`);
  return page;
}

/** The start of the Kolkata day `n` days before today's, as an instant (ms). */
const kolkataDay = (n: number) => Math.floor((Date.now() + offset) / day) * day - offset - n * day;
const iso = (ms: number) => new Date(ms).toISOString();
const localDate = (ms: number) => iso(ms + offset).slice(0, 10);

describe('the Meters view', () => {
  it('charts a SUM by day grouped by usage type, lists its rows and downloads them as CSV', async () => {
    // Noon in Kolkata on three of the last seven local days; two values that a SUM leaves out.
    const seeds: { usageType: string; days: number; volume: unknown }[] = [
      { usageType: 'voice', days: 5, volume: 10 },
      { usageType: 'voice', days: 5, volume: 2.5 },
      { usageType: 'data', days: 5, volume: 100 },
      { usageType: 'voice', days: 3, volume: 7 },
      { usageType: 'data', days: 1, volume: 40 },
      { usageType: 'data', days: 1, volume: 60 },
      { usageType: 'data', days: 1, volume: '12' },
      { usageType: 'sms', days: 1, volume: undefined },
    ];
    for (const [i, s] of seeds.entries()) {
      await createUsage(stack, {
        usageType: s.usageType,
        usageDate: iso(kolkataDay(s.days) + 12 * 3_600_000 + i * 1000),
        ...(s.volume === undefined
          ? {}
          : { usageCharacteristic: [{ name: 'volume', valueType: typeof s.volume === 'number' ? 'number' : 'string', value: s.volume }] }),
      });
    }
    // The meter folded here: per local day and usage type, the numeric volumes summed; ordered by
    // window, then usage type.
    const sums = new Map<string, { windowStart: string; windowEnd: string; usageType: string; value: number }>();
    for (const s of seeds) {
      if (typeof s.volume !== 'number') continue;
      const start = kolkataDay(s.days);
      const key = `${start}|${s.usageType}`;
      const row = sums.get(key) ?? { windowStart: iso(start), windowEnd: iso(start + day), usageType: s.usageType, value: 0 };
      row.value += s.volume;
      sums.set(key, row);
    }
    const expected = [...sums.values()].sort((a, b) => a.windowStart.localeCompare(b.windowStart) || a.usageType.localeCompare(b.usageType));
    expect(expected).toHaveLength(4);

    const page = await openMeters();
    try {
      // The defaults: the browser's zone and its last seven days, from midnight six days ago to tomorrow's.
      // Chromium's ICU names Kolkata by its older alias, Asia/Calcutta; the gateway takes either.
      expect(['Asia/Kolkata', 'Asia/Calcutta']).toContain(await page.getByTestId('meter-time-zone').inputValue());
      expect(await page.getByTestId('meter-from').inputValue()).toBe(`${localDate(kolkataDay(6))}T00:00`);
      expect(await page.getByTestId('meter-to').inputValue()).toBe(`${localDate(kolkataDay(-1))}T00:00`);
      expect(await page.getByTestId('meter-value-name').isDisabled()).toBe(true);

      await page.getByTestId('meter-aggregation').selectOption('SUM');
      await page.getByTestId('meter-value-name').fill('volume');
      await page.getByTestId('meter-window').selectOption('DAY');
      await page.getByTestId('meter-group-0').selectOption('USAGE_TYPE');
      await page.getByTestId('meter-run').click();

      const rows = page.getByTestId('meter-row');
      await expect.poll(() => rows.count()).toBe(expected.length);
      const table = await Promise.all(
        (await rows.all()).map(async (row) => ({
          windowStart: await row.getAttribute('data-window-start'),
          usageType: await row.getByTestId('meter-group').textContent(),
          value: Number(await row.getByTestId('meter-value').textContent()),
          local: await row.locator('td').first().textContent(),
        })),
      );
      expect(table).toEqual(
        expected.map((e) => ({ windowStart: e.windowStart, usageType: e.usageType, value: e.value, local: `${localDate(Date.parse(e.windowStart))} 00:00` })),
      );

      // The chart: an svg with one bar series per usage type, the legend naming them, a bar per row.
      const chart = page.getByTestId('meter-chart');
      // Series in the order the rows first show them: data and voice on the first day.
      expect(JSON.parse((await chart.getAttribute('data-series'))!)).toEqual([...new Set(expected.map((e) => e.usageType))]);
      expect(await chart.locator('svg .recharts-bar').count()).toBe(2);
      await expect.poll(() => chart.locator('svg .recharts-bar-rectangle path').count()).toBe(expected.length);
      for (const label of ['voice', 'data']) await chart.getByText(label, { exact: true }).waitFor();
      const days = [...new Set(expected.map((e) => localDate(Date.parse(e.windowStart))))];
      for (const label of days) expect(await chart.locator('svg').getByText(label, { exact: true }).count()).toBe(1);
      await screenshot(page, 'meters');

      await page.getByTestId('chart-kind').getByText('Lines').click();
      await expect.poll(() => chart.locator('svg path.recharts-line-curve').count()).toBe(2);

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('meter-csv').click()]);
      expect(download.suggestedFilename()).toMatch(/^meter-sum-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
      const csv = await readFile(await download.path(), 'utf8');
      expect(csv.endsWith('\r\n')).toBe(true);
      const [header, ...lines] = csv.trimEnd().split('\r\n');
      expect(header).toBe('windowStart,windowEnd,usageType,value');
      expect(
        lines.map((line) => {
          const [windowStart, windowEnd, usageType, value] = line.split(',');
          return { windowStart: iso(Date.parse(windowStart!)), windowEnd: iso(Date.parse(windowEnd!)), usageType, value: Number(value) };
        }),
      ).toEqual(expected);
    } finally {
      await page.close();
    }
  });

  it('shows the gateway refusing a range whose from is after its to, with its code', async () => {
    const page = await openMeters();
    try {
      await page.getByTestId('meter-from').fill('2026-11-10T00:00');
      await page.getByTestId('meter-to').fill('2026-11-03T00:00');
      await page.getByTestId('meter-run').click();
      const error = page.getByTestId('error');
      await error.waitFor();
      const text = (await error.textContent()) ?? '';
      expect(text).toContain('BAD_USER_INPUT');
      // 2026-11-10 00:00 in Kolkata is 18:30Z the day before.
      expect(text).toContain('from must be before to; got from 2026-11-09T18:30:00.000Z and to 2026-11-02T18:30:00.000Z.');
      expect(await page.getByTestId('meter-chart').count()).toBe(0);
      expect(await page.getByTestId('meter-csv').isDisabled()).toBe(true);
    } finally {
      await page.close();
    }
  });
});
