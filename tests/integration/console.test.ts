import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKpiDocument, CreateRuleDocument } from '../operations/generated.js';
import { createIndividual, createSpecification, createUsage } from '../support/fixtures.js';
import { launchBrowser, screenshot } from '../support/browser.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';
import { subscribersLive } from '../support/subscriber.js';

// The usage console in headless Chromium against the real stack: the page the gateway serves, its
// GraphQL over HTTP and its subscription over graphql-ws.
let stack: Stack;
let browser: Browser;
let origin: string;
beforeAll(async () => {
  if (!existsSync('gateway/console/dist/index.html')) throw new Error('The console is not built: npm run console:build (npm ci does it).');
  stack = await startStack('console');
  browser = await launchBrowser();
  origin = new URL(stack.gatewayUrl).origin;
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function openConsole(view: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const token = (stack as { token?: string }).token;
  if (token) await page.addInitScript((t) => sessionStorage.setItem('usage-console-token', t), token);
  await page.goto(`${origin}/console/#${view}`);
  return page;
}

describe('the usage console', () => {
  it('serves the page and its assets from the gateway', async () => {
    const page = await fetch(`${origin}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${origin}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${origin}/console/assets/..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it('lists usages, filters them by party, sorts them and opens one with its characteristics and parties', async () => {
    const spec = await createSpecification(stack, 'Voice minutes');
    const ada = await createIndividual(stack, 'Ada', 'Lovelace');
    const alan = await createIndividual(stack, 'Alan', 'Turing');
    const partyOf = (id: string) => [{ role: 'customer', partyOrPartyRole: { id } }];
    for (let i = 0; i < 3; i++) {
      await createUsage(stack, {
        usageType: 'voice',
        usageDate: `2026-11-0${i + 1}T10:00:00Z`,
        usageSpecification: { id: spec.id },
        relatedParty: partyOf(ada.id),
        usageCharacteristic: [{ name: 'duration', valueType: 'integer', value: 60 * (i + 1) }],
      });
    }
    for (let i = 0; i < 2; i++) await createUsage(stack, { usageType: 'data', usageSpecification: { id: spec.id }, relatedParty: partyOf(alan.id) });

    const page = await openConsole('explorer');
    try {
      await expect.poll(() => page.getByTestId('usage-row').count()).toBe(5);
      expect(await page.getByTestId('total').textContent()).toBe('5 usages');
      await screenshot(page, 'explorer');

      await page.getByTestId('filter-party').fill(ada.id);
      await page.getByTestId('apply').click();
      await expect.poll(() => page.getByTestId('total').textContent()).toBe('3 usages');
      const rows = page.getByTestId('usage-row');
      expect(await rows.count()).toBe(3);
      for (const text of await rows.allTextContents()) expect(text).toContain('Ada Lovelace');

      // Newest usage date first after one click on the column (descending), oldest first after two.
      await page.getByRole('button', { name: /Usage date/ }).click();
      await expect.poll(async () => (await rows.first().textContent()) ?? '').toContain('2026-11-03');
      await page.getByRole('button', { name: /Usage date/ }).click();
      await expect.poll(async () => (await rows.first().textContent()) ?? '').toContain('2026-11-01');

      await rows.first().click();
      const detail = page.getByTestId('usage-detail');
      await detail.waitFor();
      expect(await page.getByTestId('characteristics').textContent()).toContain('duration');
      expect(await page.getByTestId('characteristics').textContent()).toContain('60');
      expect(await page.getByTestId('parties').textContent()).toContain('Ada Lovelace');
      expect(await detail.textContent()).toContain('Voice minutes');
      await screenshot(page, 'usage-detail');
    } finally {
      await page.close();
    }
  });

  it('shows a usage created through REST in the live feed within two seconds, and holds events while paused', async () => {
    const page = await openConsole('live');
    try {
      await page.getByTestId('empty').waitFor();
      await subscribersLive(stack, 1);
      const body = (usageType: string) => ({
        '@type': 'ProductUsage',
        usageType,
        product: { '@type': 'ProductRef', id: 'prod' },
        usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
      });
      const created = (await stack.rest('POST', '/tmf-api/productUsageManagement/v5/productUsage', body('live-1'))).body;
      await page.locator(`[data-testid="live-row"][data-id="${created.id}"]`).waitFor({ timeout: 2_000 });

      await page.getByTestId('pause').click();
      const held = (await stack.rest('POST', '/tmf-api/productUsageManagement/v5/productUsage', body('live-2'))).body;
      await expect.poll(() => page.getByTestId('resume').textContent()).toBe('Resume (1 waiting)');
      expect(await page.locator(`[data-testid="live-row"][data-id="${held.id}"]`).count()).toBe(0);
      await page.getByTestId('resume').click();
      await page.locator(`[data-testid="live-row"][data-id="${held.id}"]`).waitFor({ timeout: 2_000 });
      await screenshot(page, 'live-feed');
    } finally {
      await page.close();
    }
  });

  it('charts the aggregates of ingested usage and lists the ingestion job with its counts and errors', async () => {
    const now = new Date();
    const month = now.toISOString().slice(0, 7);
    dataOf(await stack.request(CreateKpiDocument, { input: { application: 'console-app', name: 'minutes', displayName: 'Minutes', unit: 'min' } }));
    dataOf(await stack.request(CreateRuleDocument, { input: { application: 'console-app', unit: 'min', maxValue: 100 } }));
    // Two consumers this month; one usage over the rule's maximum, which the job reports as an error.
    // The first of the month at 08:00, today at 09:00: on the 1st they are still two usages (a usage's
    // idempotency key includes its datetime, not its value).
    const at = (day: number, hour: number) => `${month}-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;
    const today = now.getUTCDate();
    const usages = (values: [number, number][]) => values.map(([value, day], i) => ({ value, unit: 'min', datetime: at(day, i === 0 && day === 1 ? 8 : 9) }));
    const job = await stack.rest('POST', '/api/usagetransparency/v3/usagesJobs', {
      users: [
        {
          tenantId: 'acme',
          resources: [
            {
              application: 'console-app',
              resource: 'line-1',
              usages: usages([
                [10, 1],
                [5, today],
                [1000, today],
              ]),
            },
          ],
        },
        { tenantId: 'globex', resources: [{ application: 'console-app', resource: 'line-9', usages: usages([[7, today]]) }] },
      ],
    });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    await expect
      .poll(async () => (await stack.rest('GET', `/api/usagetransparency/v3/usagesJobs/${job.body.id}`)).body.status, { timeout: 10_000 })
      .toBe('ERRORS');

    const page = await openConsole('aggregates');
    try {
      const chart = page.getByTestId('monthly-chart');
      await chart.waitFor();
      expect(JSON.parse((await chart.getAttribute('data-values'))!)).toEqual([
        { consumer: 'acme', value: 15 },
        { consumer: 'globex', value: 7 },
      ]);
      const days = JSON.parse((await page.getByTestId('daily-chart').getAttribute('data-values'))!) as { day: string; value: number }[];
      expect(days.filter((d) => d.value !== 0)).toEqual(
        today === 1
          ? [{ day: '01', value: 15 }]
          : [
              { day: '01', value: 10 },
              { day: String(today).padStart(2, '0'), value: 5 },
            ],
      );
      await screenshot(page, 'aggregates');

      // The month's usages as CSV, through an export job: the three stored ones, not the rejected one.
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.getByTestId('export-csv').click()]);
      const csv = await readFile(await download.path(), 'utf8');
      const [header, ...lines] = csv.trim().split('\r\n');
      expect(header!.split(',').slice(0, 7)).toEqual(['id', 'usageDate', 'creationDate', 'status', 'usageType', 'usageSpecification.id', 'relatedParty']);
      expect(lines).toHaveLength(3);
      const valueColumn = header!.split(',').indexOf('value');
      expect(lines.map((line) => Number(line.split(',')[valueColumn])).sort((a, b) => a - b)).toEqual([5, 7, 10]);

      await page.getByTestId('nav-jobs').click();
      const row = page.getByTestId('job-row');
      await row.first().waitFor();
      expect(await row.count()).toBe(1);
      const text = (await row.first().textContent()) ?? '';
      expect(text).toContain('ERRORS');
      expect(text).toContain('console-app · min · VERIFIED: 3');
      expect(text).toContain('console-app · min · VERIFICATIONFAILED: 1');
      await row.first().click();
      const errors = page.getByTestId('job-errors');
      await expect.poll(async () => (await errors.textContent()) ?? '').toContain('usage #2');
      expect(await errors.textContent()).toContain('1000');
      await screenshot(page, 'jobs');
    } finally {
      await page.close();
    }
  });

  it('shows the health of every service, the webhook backlog and the ingestion lag', async () => {
    const page = await openConsole('health');
    try {
      for (const service of ['gateway', 'usage', 'specification', 'party']) {
        await page.getByTestId(`health-${service}`).getByText('ready', { exact: true }).waitFor({ timeout: 10_000 });
      }
      await page
        .getByTestId('health-webhooks')
        .getByText(/deliveries waiting/)
        .waitFor();
      await page
        .getByTestId('health-ingestion')
        .getByText(/oldest unfinished job/)
        .waitFor();
      await screenshot(page, 'health');
    } finally {
      await page.close();
    }
  });

  it('stays usable on a phone: the menu folds behind a button and the table scrolls', async () => {
    await createUsage(stack, { usageType: 'phone', usageDate: '2026-11-20T08:00:00Z' });
    const page = await openConsole('explorer', { width: 390, height: 844 });
    try {
      await page.getByTestId('usage-row').first().waitFor();
      await screenshot(page, 'explorer-phone');
      // The navigation waits off screen until the menu button brings it in.
      const offScreen = async () => {
        const box = await page.getByTestId('nav-live').boundingBox();
        return !box || box.x + box.width <= 0;
      };
      expect(await offScreen()).toBe(true);
      await page.getByRole('button', { name: 'Menu' }).click();
      await expect.poll(offScreen).toBe(false);
      await page.getByTestId('nav-live').click();
      await page.getByTestId('pause').waitFor();
      // Choosing a view folds the menu away again.
      await expect.poll(offScreen).toBe(true);
      await screenshot(page, 'live-feed-phone');
    } finally {
      await page.close();
    }
  });
});
